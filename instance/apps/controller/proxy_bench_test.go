package controller

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// nodeLikeApp answers every request on a unix socket as Node answers the benchmark's health
// check (chunked, with keep-alive), without parsing more than the end of the head: what the
// benchmark measures is then the proxy's work.
func nodeLikeApp(b *testing.B) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "app.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: Fri, 27 Nov 2026 12:04:25 GMT\r\n" +
		"Connection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nok\n\r\n0\r\n\r\n")
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadSlice('\n')
					if err != nil {
						return
					}
					if bytes.Equal(line, []byte("\r\n")) {
						if _, err := c.Write(resp); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	return path
}

// benchWriter is a ResponseWriter that keeps the status and counts the body, with a header
// map emptied between requests as a server's is.
type benchWriter struct {
	h    http.Header
	code int
	n    int
}

func (w *benchWriter) Header() http.Header { return w.h }
func (w *benchWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
func (w *benchWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.n += len(p)
	return len(p), nil
}

// BenchmarkProxyHealthCheck proxies the nodeproxy benchmark's request (GET with a Host and a
// cookie) to an app on a unix socket that answers as Node does: through the proxy's path for
// plain requests, and through httputil.ReverseProxy. cpu-ns/op is the process's CPU time
// (the app's included), which the wall time hides behind the round trips.
func BenchmarkProxyHealthCheck(b *testing.B) {
	c := &Controller{log: slog.New(slog.DiscardHandler)}
	p := &proc{c: c, instance: "i", slug: "hello", transport: newTransport(nodeLikeApp(b))}
	p.proxy = p.newProxy()
	b.Cleanup(p.transport.CloseIdleConnections)
	ctx, cancel := context.WithCancel(context.Background()) // as a server's request's
	defer cancel()
	req := httptest.NewRequest(http.MethodGet, "http://hello.bench.localhost/healthz", nil).WithContext(ctx)
	req.Header.Set("Cookie", "theirs=1")
	req.RemoteAddr = "127.0.0.1:40000"
	for _, bc := range []struct {
		name  string
		serve http.HandlerFunc
	}{{"forward", p.serve}, {"ReverseProxy", p.proxy.ServeHTTP}} {
		b.Run(bc.name, func(b *testing.B) {
			w := &benchWriter{h: http.Header{}}
			b.ReportAllocs()
			start := cpuTime(b)
			for b.Loop() {
				clear(w.h)
				w.code, w.n = 0, 0
				bc.serve(w, req)
				if w.code != http.StatusOK || w.n != 3 {
					b.Fatalf("%d, %d bytes", w.code, w.n)
				}
			}
			b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time the process used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
