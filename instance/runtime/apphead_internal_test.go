package runtime

import (
	"bufio"
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// TestParsePlainRequestAgreesWithNetHTTP holds parsePlainRequest to net/http's parser: a head it
// accepts must be one http.ReadRequest reads into the same request, and plain; the heads it
// refuses go back to net/http.
func TestParsePlainRequestAgreesWithNetHTTP(t *testing.T) {
	type ctxKey struct{}
	ctx := context.WithValue(context.Background(), ctxKey{}, "conn")
	base := new(http.Request).WithContext(ctx)
	cases := []struct {
		head string
		ok   bool
	}{
		{"GET /healthz HTTP/1.1\r\nHost: hello.alice.test\r\n\r\n", true},
		{"HEAD / HTTP/1.1\r\nHost: hello.alice.test:8080\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n", true},
		{"GET /a/b.js?x=1&y=%20z HTTP/1.1\r\nhost: h.test\r\naccept-encoding: gzip\r\nX-Odd:  v  \r\n\r\n", true},
		{"GET /caf%C3%A9/a%2Fb HTTP/1.1\r\nHost: h.test\r\n\r\n", true}, // escapes: through net/url
		{"GET /?q= HTTP/1.1\r\nHost: h.test\r\nConnection: keep-alive\r\n\r\n", true},
		{"GET /x? HTTP/1.1\r\nHost: h.test\r\n\r\n", true}, // an empty query: ForceQuery
		{"GET /a;b HTTP/1.1\r\nHost: h.test\r\nTe: trailers\r\n\r\n", true},
		{"POST / HTTP/1.1\r\nHost: h.test\r\n\r\n", false},
		{"GET / HTTP/1.0\r\nHost: h.test\r\n\r\n", false},
		{"GET http://h.test/ HTTP/1.1\r\nHost: h.test\r\n\r\n", false},
		{"GET * HTTP/1.1\r\nHost: h.test\r\n\r\n", false},
		{"GET /a b HTTP/1.1\r\nHost: h.test\r\n\r\n", false},
		{"GET / HTTP/1.1\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: a test\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: h.test\r\nConnection: close\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: h.test\r\nContent-Length: 0\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: h.test\r\nTransfer-Encoding: chunked\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: h.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: h.test\r\nExpect: 100-continue\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: h.test\r\nPragma: no-cache\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: h.test\r\nX-A: 1\r\n folded\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: h.test\r\nBad Name: 1\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: h.test\r\nX-A: a\x01b\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: h.test\r\nNoColon\r\n\r\n", false},
		{"GET /a\x7f HTTP/1.1\r\nHost: h.test\r\n\r\n", false},
	}
	for _, tc := range cases {
		got, ok := parsePlainRequest([]byte(tc.head), base)
		if ok != tc.ok {
			t.Errorf("%q: accepted %v, want %v", tc.head, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		want, err := http.ReadRequest(bufio.NewReader(strings.NewReader(tc.head)))
		if err != nil {
			t.Errorf("%q: accepted, but net/http refuses it: %v", tc.head, err)
			continue
		}
		if !plainFast(got) || !plainFast(want) {
			t.Errorf("%q: not plain (ours %v, net/http's %v)", tc.head, plainFast(got), plainFast(want))
		}
		if got.Context() != ctx {
			t.Errorf("%q: the request lost the connection's context", tc.head)
		}
		if got.Method != want.Method || got.RequestURI != want.RequestURI || got.Host != want.Host ||
			got.Proto != want.Proto || got.Body != http.NoBody || got.ContentLength != 0 || got.Close {
			t.Errorf("%q: got %s %s %s host %q, want %s %s %s host %q", tc.head, got.Method, got.RequestURI, got.Proto,
				got.Host, want.Method, want.RequestURI, want.Proto, want.Host)
		}
		if *got.URL != *want.URL {
			t.Errorf("%q: URL %#v, want %#v", tc.head, *got.URL, *want.URL)
		}
		if !reflect.DeepEqual(got.Header, want.Header) {
			t.Errorf("%q: header %v, want %v", tc.head, got.Header, want.Header)
		}
	}
}

// BenchmarkParsePlainRequest is the cost of a taken-over connection's request head, against
// net/http's parser of the same head.
func BenchmarkParsePlainRequest(b *testing.B) {
	head := []byte("GET /healthz HTTP/1.1\r\nHost: hello.bench.localhost:8080\r\nUser-Agent: bench\r\n" +
		"Accept: */*\r\nCookie: hearth_app=djF8YXBwfDRlYWYyNGY1M2E0ZTJmMzB8aGVsbG8\r\n\r\n")
	base := new(http.Request).WithContext(context.Background())
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, ok := parsePlainRequest(head, base); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("net-http", func(b *testing.B) {
		b.ReportAllocs()
		br := bufio.NewReader(nil)
		r := strings.NewReader("")
		for range b.N {
			r.Reset(string(head))
			br.Reset(r)
			req, err := http.ReadRequest(br)
			if err != nil {
				b.Fatal(err)
			}
			_ = req.WithContext(base.Context())
		}
	})
}
