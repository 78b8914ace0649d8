package realtime

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hearth-cloud/hearth/internal/testsvc"
)

// backend opens a publishing hub and a subscribing hub that share events: one LocalHub twice,
// or two RedisHubs on the same Redis, as two runtime processes would be.
type backend struct {
	name string
	open func(t *testing.T) (pub, sub Hub)
}

var backends = []backend{
	{name: "local", open: func(t *testing.T) (Hub, Hub) {
		h := NewLocalHub()
		t.Cleanup(func() { _ = h.Close() })
		return h, h
	}},
	{name: "redis", open: func(t *testing.T) (Hub, Hub) {
		url := testsvc.Redis(t)
		return newRedisHub(t, url), newRedisHub(t, url)
	}},
}

func redisClient(tb testing.TB, url string) *redis.Client {
	tb.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		tb.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	tb.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// newRedisHub starts a hub with its own Redis client, closed when tb ends.
func newRedisHub(tb testing.TB, url string) *RedisHub {
	tb.Helper()
	rdb := redisClient(tb, url)
	h, err := NewRedisHub(context.Background(), rdb, testLogger(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = h.Close() })
	return h
}

func testLogger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(string(p))
	return len(p), nil
}

var instanceSeq struct {
	sync.Mutex
	n int
}

// newInstance returns an instance id no other test uses.
func newInstance(t testing.TB) string {
	instanceSeq.Lock()
	defer instanceSeq.Unlock()
	instanceSeq.n++
	return fmt.Sprintf("%s-%d", t.Name(), instanceSeq.n)
}

func note(doctype string, i int) Event {
	return Event{Doctype: doctype, ID: fmt.Sprintf("doc%d", i), Rev: fmt.Sprintf("%d-abc", i+1), Verb: VerbUpdated,
		Doc: []byte(fmt.Sprintf(`{"_id":"doc%d","n":%d}`, i, i))}
}

func publish(t testing.TB, h Hub, instance string, ev Event) {
	t.Helper()
	if err := h.Publish(context.Background(), instance, ev); err != nil {
		t.Fatal(err)
	}
}

func subscribe(t testing.TB, h Hub, instance string, doctypes ...string) *Subscription {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := h.Subscribe(ctx, instance, doctypes...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// receive waits for the next event of s.
func receive(t testing.TB, s *Subscription) Event {
	t.Helper()
	select {
	case ev, ok := <-s.C():
		if !ok {
			t.Fatalf("subscription ended: %v", s.Err())
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return Event{}
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
