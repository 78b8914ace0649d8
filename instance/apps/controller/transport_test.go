package controller

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// unixServer serves h on a unix socket and counts the connections it accepted.
func unixServer(t *testing.T, h http.Handler, keepAlive bool) (path string, conns *atomic.Int64) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "s.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	conns = &atomic.Int64{}
	srv := &http.Server{Handler: h, ConnState: func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}}
	srv.SetKeepAlivesEnabled(keepAlive)
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return path, conns
}

func roundTrip(t *testing.T, tr http.RoundTripper, method, target, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, "http://app"+target, rd)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b)
}

func TestSocketTransportReusesConnections(t *testing.T) {
	t.Parallel()
	path, conns := unixServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/chunked" {
			w.Write([]byte("a"))
			w.(http.Flusher).Flush()
			w.Write([]byte("b"))
			return
		}
		fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.Path, b)
	}), true)
	tr := newTransport(path)
	defer tr.CloseIdleConnections()
	for i := range 50 {
		target := []string{"/x", "/chunked"}[i%2]
		code, body := roundTrip(t, tr, "GET", target, "")
		if want := map[string]string{"/x": "GET /x ", "/chunked": "ab"}[target]; code != 200 || body != want {
			t.Fatalf("request %d: %d %q, want %q", i, code, body, want)
		}
	}
	if code, body := roundTrip(t, tr, "POST", "/p", "hello"); code != 200 || body != "POST /p hello" {
		t.Fatalf("POST: %d %q", code, body)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("51 sequential requests used %d connections, want 1", n)
	}
	// HEAD has no body to read: its connection is reused too.
	req, _ := http.NewRequest("HEAD", "http://app/x", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	roundTrip(t, tr, "GET", "/x", "")
	if n := conns.Load(); n != 1 {
		t.Errorf("after HEAD: %d connections, want 1", n)
	}
}

func TestSocketTransportRetriesAConnectionClosedByTheApp(t *testing.T) {
	t.Parallel()
	// Without keep-alive the server closes each connection after its response, as Node does
	// with connections idle past its keep-alive timeout: the pooled connection is dead.
	path, conns := unixServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}), false)
	tr := newTransport(path)
	for i := range 5 {
		if code, body := roundTrip(t, tr, "GET", "/", ""); code != 200 || body != "ok" {
			t.Fatalf("request %d: %d %q", i, code, body)
		}
	}
	if n := conns.Load(); n != 5 {
		t.Errorf("%d connections for 5 requests to a server that closes each", n)
	}
}

func TestSocketTransportDropsAConnectionLeftInTheMiddle(t *testing.T) {
	t.Parallel()
	path, conns := unixServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Write(make([]byte, 1<<20))
			return
		}
		if r.URL.Path == "/early" {
			w.Header().Set("Link", "</a.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
		}
		io.WriteString(w, "small")
	}), true)
	tr := newTransport(path)
	req, _ := http.NewRequest("GET", "http://app/big", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Read(make([]byte, 10))
	resp.Body.Close() // in the middle: the connection must not be reused
	if code, body := roundTrip(t, tr, "GET", "/early", ""); code != 200 || body != "small" {
		t.Fatalf("after an abandoned body, with early hints: %d %q", code, body)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (the abandoned one closed)", n)
	}
	// A cancelled request unblocks at once.
	ctx, cancel := context.WithCancel(context.Background())
	arrived := make(chan struct{})
	slow, _ := unixServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	}), true)
	tr2 := newTransport(slow)
	req, _ = http.NewRequestWithContext(ctx, "GET", "http://app/", nil)
	done := make(chan error, 1)
	go func() {
		_, err := tr2.RoundTrip(req)
		done <- err
	}()
	<-arrived
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a cancelled request succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled request did not return")
	}
}

func TestSocketTransportGivesSmallChunkedBodiesTheirLength(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	path, _ := unixServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/small":
			w.Header().Set("Transfer-Encoding", "chunked") // chunked, sent whole at the end, as Node's res.end does
			w.Write([]byte("small body"))
		case "/stream":
			w.Write([]byte("first"))
			w.(http.Flusher).Flush()
			<-release // the rest comes later: the transport must not wait for it
			w.Write([]byte(" then more"))
		case "/events":
			w.Header().Set("Content-Type", "text/event-stream")
			w.Write([]byte("data: x\n\n"))
			w.(http.Flusher).Flush() // chunked, like a stream
		}
	}), true)
	tr := newTransport(path)
	req, _ := http.NewRequest("GET", "http://app/small", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "small body" || resp.ContentLength != int64(len("small body")) || resp.Header.Get("Content-Length") != "10" {
		t.Errorf("small chunked body: %q, length %d %q", b, resp.ContentLength, resp.Header.Get("Content-Length"))
	}
	req, _ = http.NewRequest("GET", "http://app/stream", nil)
	resp, err = tr.RoundTrip(req) // returns with the first part only
	if err != nil {
		t.Fatal(err)
	}
	if resp.ContentLength != -1 {
		t.Errorf("an unfinished stream got a length: %d", resp.ContentLength)
	}
	close(release)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "first then more" {
		t.Errorf("stream: %q", b)
	}
	req, _ = http.NewRequest("GET", "http://app/events", nil)
	resp, err = tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ContentLength != -1 {
		t.Errorf("an event stream got a length: %d", resp.ContentLength)
	}
}
