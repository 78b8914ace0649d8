package proxy

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// benchWriter is a ResponseWriter that keeps only the status and the body's size, and whose
// header map is emptied between requests, as a server's is per request.
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
func (w *benchWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	w.n += len(b)
	return len(b), nil
}

func (w *benchWriter) reset() {
	clear(w.h)
	w.code, w.n = 0, 0
}

// benchServe serves target from the fixture app b.N times, without a session, and checks
// every answer is a 200.
func benchServe(b *testing.B, s *Static, target string) {
	b.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.Host = "notes.alice.example"
	w := &benchWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		w.reset()
		s.ServeHTTP(w, r)
		if w.code != http.StatusOK || w.n == 0 {
			b.Fatalf("GET %s: %d, %d bytes", target, w.code, w.n)
		}
	}
}

func newBenchStatic(b *testing.B, edit ...func(*StaticApp)) *Static {
	b.Helper()
	app := StaticApp{
		Dir:      fixtureDir("static-notes"),
		Manifest: loadFixture(b, "static-notes"),
		Instance: testInstance,
		TreeHash: "sha256:bench",
		Gate:     func(r *http.Request) bool { return false },
	}
	for _, e := range edit {
		e(&app)
	}
	s, err := NewStatic(app)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkServeCached serves the public stylesheet from a FileCache, as the static
// benchmark does.
func BenchmarkServeCached(b *testing.B) {
	cache := NewFileCache(0)
	benchServe(b, newBenchStatic(b, func(a *StaticApp) { a.Cache = cache }), "/public/about.css")
}

// BenchmarkServeUncached serves the same file from the tree on every request.
func BenchmarkServeUncached(b *testing.B) {
	benchServe(b, newBenchStatic(b), "/public/about.css")
}

// BenchmarkServeHTML serves the public page from a FileCache: it gets its configuration
// injected, with a new nonce, on every request.
func BenchmarkServeHTML(b *testing.B) {
	cache := NewFileCache(0)
	benchServe(b, newBenchStatic(b, func(a *StaticApp) { a.Cache = cache }), "/public/")
}

// BenchmarkServeHTMLToken serves the app's page with a session: a token is issued for it.
func BenchmarkServeHTMLToken(b *testing.B) {
	cache := NewFileCache(0)
	s := newBenchStatic(b, func(a *StaticApp) {
		a.Cache = cache
		a.Gate = func(*http.Request) bool { return true }
		a.TokenFor = func(*http.Request) (string, error) { return "tok-123.abc", nil }
		a.TokenTTL = time.Minute
	})
	benchServe(b, s, "/")
}
