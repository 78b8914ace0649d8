package controller

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// BenchmarkColdStart measures the time to the first byte of a response from a stopped app
// (built already): start, listen, answer.
func BenchmarkColdStart(b *testing.B) {
	c := newController(b, Config{})
	app := probeApp(b, "cold.example")
	srv := serve(b, c, app)
	get(b, srv, "/") // build, and make the app's user
	var firstByte []time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if err := c.Stop(b.Context(), app.Instance, app.Slug); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		resp, err := srv.Client().Get(srv.URL + "/")
		if err != nil {
			b.Fatal(err)
		}
		firstByte = append(firstByte, time.Since(start))
		if resp.StatusCode != http.StatusOK {
			b.Fatal(resp.Status)
		}
		resp.Body.Close()
	}
	b.ReportMetric(float64(median(firstByte).Microseconds())/1000, "ms-median-first-byte")
}

// BenchmarkProxy measures a request to a running app through the proxy, and the latency the
// proxy adds to a request sent to the app's socket directly.
func BenchmarkProxy(b *testing.B) {
	c := newController(b, Config{})
	app := probeApp(b, "proxy-bench.example")
	srv := serve(b, c, app)
	get(b, srv, "/")
	direct := &http.Client{Transport: newTransport(c.socketPath(c.hash(app.Instance, app.Slug)))}
	do := func(client *http.Client, url string) time.Duration {
		start := time.Now()
		resp, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			b.Fatal(resp.Status)
		}
		return time.Since(start)
	}
	h := c.Handler(app)
	inProcess := func() time.Duration { // the handler alone, without the runtime's HTTP server
		start := time.Now()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
		return time.Since(start)
	}
	var proxied, handler, straight []time.Duration
	b.ResetTimer()
	for range b.N {
		proxied = append(proxied, do(srv.Client(), srv.URL+"/"))
		b.StopTimer()
		handler = append(handler, inProcess())
		straight = append(straight, do(direct, "http://app/"))
		b.StartTimer()
	}
	p, hd, d := median(proxied), median(handler), median(straight)
	b.ReportMetric(float64(d.Microseconds()), "µs-median-direct")
	b.ReportMetric(float64(p.Microseconds()), "µs-median-proxied")
	b.ReportMetric(float64((p - d).Microseconds()), "µs-median-added")
	b.ReportMetric(float64((hd - d).Microseconds()), "µs-median-added-by-handler")
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
