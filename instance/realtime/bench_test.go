package realtime

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/internal/testsvc"
)

// BenchmarkPublishToWebSocket measures the latency from Publish to the client's receipt of the
// event, one event at a time, and reports its median and 99th percentile.
func BenchmarkPublishToWebSocket(b *testing.B) {
	hubs := []struct {
		name string
		open func(b *testing.B) (pub, sub Hub)
	}{
		{"local", func(b *testing.B) (Hub, Hub) {
			h := NewLocalHub()
			b.Cleanup(func() { _ = h.Close() })
			return h, h
		}},
		{"redis", func(b *testing.B) (Hub, Hub) {
			url := testsvc.Redis(b)
			return newRedisHub(b, url), newRedisHub(b, url) // as on two runtime nodes
		}},
	}
	for _, hb := range hubs {
		b.Run(hb.name, func(b *testing.B) {
			pub, sub := hb.open(b)
			c := dial(b, wsServer(b, Handler(sub, testAuth, nil)), "alice-token")
			c.subscribe("io.hearth.notes")
			ev := note("io.hearth.notes", 1)
			ctx := context.Background()
			latencies := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				if err := pub.Publish(ctx, "alice", ev); err != nil {
					b.Fatal(err)
				}
				if _, _, err := c.conn.Read(ctx); err != nil {
					b.Fatal(err)
				}
				latencies = append(latencies, time.Since(start))
			}
			reportPercentiles(b, latencies)
		})
	}
}

func reportPercentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(p float64) float64 {
		return float64(d[int(p*float64(len(d)-1))]) / float64(time.Microsecond)
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}
