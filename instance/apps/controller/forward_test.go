package controller

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// probeHandler is an app that answers with what it received, and sends the response headers
// the request asks for (?h=Name:value, repeated), with a trailer on /trailer.
func probeHandler(w http.ResponseWriter, r *http.Request) {
	for _, hv := range r.URL.Query()["h"] {
		k, v, _ := strings.Cut(hv, ":")
		w.Header().Add(k, v)
	}
	if r.URL.Path == "/trailer" {
		w.Header().Set("Trailer", "X-Sum")
	}
	var lines []string
	for k, vv := range r.Header {
		lines = append(lines, k+": "+strings.Join(vv, " | "))
	}
	slices.Sort(lines)
	if r.Method != http.MethodHead {
		fmt.Fprintf(w, "%s %s host=%s\n%s\n", r.Method, r.RequestURI, r.Host, strings.Join(lines, "\n"))
	}
	if r.URL.Path == "/trailer" {
		w.Header().Set("X-Sum", "42")
	}
}

// TestForwardIsReverseProxy sends the same requests through the proxy's path for plain
// requests and through httputil.ReverseProxy, and checks that the app and the client see the
// same thing.
func TestForwardIsReverseProxy(t *testing.T) {
	t.Parallel()
	path, _ := unixServer(t, http.HandlerFunc(probeHandler), true)
	c := &Controller{log: slog.New(slog.DiscardHandler)}
	p := &proc{c: c, instance: "i", slug: "probe", transport: newTransport(path)}
	p.proxy = p.newProxy()
	t.Cleanup(p.transport.CloseIdleConnections)
	forward := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isPlain(r) {
			t.Errorf("%s %s is not plain", r.Method, r.URL)
		}
		p.serve(w, r)
	}))
	t.Cleanup(forward.Close)
	reverse := httptest.NewServer(p.proxy)
	t.Cleanup(reverse.Close)

	cases := []struct {
		name, method, target string
		header               [][2]string
	}{
		{"plain", "GET", "/healthz", nil},
		{"head", "HEAD", "/x", nil},
		{"delete", "DELETE", "/x", nil},
		{"options", "OPTIONS", "/x", nil},
		{"empty post", "POST", "/x", nil},
		{"close", "GET", "/x", [][2]string{{"Connection", "close"}}},
		{"query", "GET", "/search?q=a+b&x=%C3%A9", nil},
		{"query with semicolons", "GET", "/s?a=1;b=2&c=3", nil},
		{"query with a bad escape", "GET", "/s?a=%zz&c=3", nil},
		{"escaped path", "GET", "/a%2Fb/c%20d", nil},
		{"cookies and agents", "GET", "/", [][2]string{{"Cookie", "a=1; b=2"}, {"User-Agent", "probe/1"}, {"Accept", "text/html"}}},
		{"hop-by-hop", "GET", "/", [][2]string{{"Connection", "X-Private, keep-alive"}, {"X-Private", "secret"},
			{"Keep-Alive", "timeout=5"}, {"Proxy-Authorization", "Basic x"}, {"Te", "trailers, deflate"}, {"X-Kept", "1"}}},
		{"forwarding headers", "GET", "/", [][2]string{{"X-Forwarded-For", "10.0.0.1"}, {"X-Forwarded-Host", "evil"},
			{"X-Forwarded-Proto", "https"}, {"Forwarded", "for=10.0.0.1"}}},
		{"repeated header", "GET", "/", [][2]string{{"X-Multi", "1"}, {"X-Multi", "2"}}},
		{"response hop-by-hop", "GET", "/?h=Connection:X-Drop&h=X-Drop:1&h=Keep-Alive:timeout%3D1&h=X-Keep:1&h=Set-Cookie:theme%3Ddark", nil},
		{"status", "GET", "/?h=Location:/there", nil},
		{"trailer", "GET", "/trailer", [][2]string{{"Te", "trailers"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			get := func(base string) string {
				req, err := http.NewRequest(tc.method, base+tc.target, nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Host = "probe.alice.test"
				for _, h := range tc.header {
					req.Header.Add(h[0], h[1])
				}
				resp, err := http.DefaultTransport.RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				resp.Header.Del("Date")
				var lines []string
				for k, vv := range resp.Header {
					lines = append(lines, k+": "+strings.Join(vv, " | "))
				}
				for k, vv := range resp.Trailer {
					lines = append(lines, "trailer "+k+": "+strings.Join(vv, " | "))
				}
				slices.Sort(lines)
				return fmt.Sprintf("%s %v\n%s\n\n%s", resp.Status, resp.TransferEncoding, strings.Join(lines, "\n"), body)
			}
			got, want := get(forward.URL), get(reverse.URL)
			if got != want {
				t.Errorf("forward:\n%s\n\nReverseProxy:\n%s", got, want)
			}
			for _, leak := range []string{"secret", "evil", "Basic", "10.0.0.1", "timeout=", "X-Drop: "} {
				if strings.Contains(got, leak) {
					t.Errorf("%q went through:\n%s", leak, got)
				}
			}
		})
	}
}

// TestForwardStreamsAndAborts checks that a response of unknown length reaches the client as
// it comes, and that a body the app cuts short is not passed off as whole.
func TestForwardStreamsAndAborts(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	path := filepath.Join(t.TempDir(), "app.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				line, _ := br.ReadString('\n')
				for l, err := br.ReadString('\n'); err == nil && l != "\r\n"; l, err = br.ReadString('\n') {
				}
				switch {
				case strings.HasPrefix(line, "GET /stream "):
					io.WriteString(conn, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n")
					<-release
					io.WriteString(conn, "5\r\nthen.\r\n0\r\n\r\n")
				case strings.HasPrefix(line, "GET /cut "):
					io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
				case strings.HasPrefix(line, "GET /switch "):
					io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: evil\r\n\r\n")
				}
			}()
		}
	}()
	c := &Controller{log: slog.New(slog.DiscardHandler)}
	p := &proc{c: c, instance: "i", slug: "probe", transport: newTransport(path)}
	p.proxy = p.newProxy()
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(srv.Close)
	srv.Config.ErrorLog = nil

	resp, err := http.Get(srv.URL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 5)
	done := make(chan error, 1)
	go func() { _, err := io.ReadFull(resp.Body, first); done <- err }()
	select {
	case err := <-done:
		if err != nil || string(first) != "first" {
			t.Fatalf("first part: %q %v", first, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first part of a stream was held back")
	}
	close(release)
	rest, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(rest) != "then." {
		t.Errorf("rest of the stream: %q %v", rest, err)
	}

	resp, err = http.Get(srv.URL + "/cut")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Error("a body cut short by the app reached the client as whole")
	}

	resp, err = http.Get(srv.URL + "/switch")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("an upgrade nobody asked for: %s", resp.Status)
	}
}
