package proxy

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	testInstance = "https://alice.example"
	testToken    = "tok-123"
)

// newTestStatic serves dir as the notes app of alice.example. A request carries the owner's
// session when it has the header X-Test-Session.
func newTestStatic(t *testing.T, dir string, edit ...func(*StaticApp)) *Static {
	t.Helper()
	app := StaticApp{
		Dir:      dir,
		Manifest: loadFixture(t, "static-notes"),
		Instance: testInstance,
		Gate:     func(r *http.Request) bool { return r.Header.Get("X-Test-Session") != "" },
		TokenFor: func(*http.Request) (string, error) { return testToken, nil },
	}
	for _, e := range edit {
		e(&app)
	}
	s, err := NewStatic(app)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func do(t *testing.T, h http.Handler, method, target string, session bool, header ...string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	r.Host = "notes.alice.example"
	if session {
		r.Header.Set("X-Test-Session", "1")
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkSecurityHeaders(t *testing.T, res *http.Response) {
	t.Helper()
	h := res.Header
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "same-origin" {
		t.Errorf("security headers missing: %v", h)
	}
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "connect-src 'self' https://alice.example wss://alice.example"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if len(res.Cookies()) != 0 || h.Get("Set-Cookie") != "" {
		t.Errorf("Set-Cookie on an app origin: %v", h.Values("Set-Cookie"))
	}
}

// serveModes are the ways a Static reads its tree: from the tree on every request, or
// through a FileCache, as the runtime does. Each cached Static gets a cache of its own.
var serveModes = []struct {
	name string
	edit func(*StaticApp)
}{
	{"tree", func(*StaticApp) {}},
	{"cache", func(a *StaticApp) { a.TreeHash, a.Cache = "sha256:test", NewFileCache(0) }},
}

func TestStaticServe(t *testing.T) {
	t.Parallel()
	for _, mode := range serveModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			testStaticServe(t, newTestStatic(t, fixtureDir("static-notes"), mode.edit))
		})
	}
}

// serveCase is a request of testStaticServe and what its answer must be.
type serveCase struct {
	name     string
	method   string
	target   string
	session  bool
	code     int
	ctype    string
	contains string
	location string
}

func testStaticServe(t *testing.T, s *Static) {
	tests := []serveCase{
		{"root", "GET", "/", true, 200, "text/html; charset=utf-8", `"token":"tok-123"`, ""},
		{"index", "GET", "/index.html", true, 200, "text/html; charset=utf-8", "<h1>Notes</h1>", ""},
		{"query ignored", "GET", "/?x=1", true, 200, "text/html; charset=utf-8", "<h1>Notes</h1>", ""},
		{"css", "GET", "/css/style.css", true, 200, "text/css; charset=utf-8", "font-family", ""},
		{"js", "GET", "/app.js", true, 200, "text/javascript; charset=utf-8", "hearth.data", ""},
		{"svg", "GET", "/icon.svg", true, 200, "image/svg+xml", "<svg", ""},
		{"json", "GET", "/hearth.json", true, 200, "application/json", `"slug": "notes"`, ""},
		{"js not injected", "GET", "/app.js", true, 200, "", "", ""},
		{"directory redirect", "GET", "/public?a=b", true, 301, "", "", "./public/?a=b"},
		{"directory without index", "GET", "/css/", true, 404, "", "", ""},
		{"missing uses 404.html", "GET", "/nope.html", true, 404, "text/html; charset=utf-8", "Notes has no such page", ""},
		{"hidden", "GET", "/.git/config", true, 404, "", "", ""},
		{"head", "HEAD", "/css/style.css", true, 200, "text/css; charset=utf-8", "", ""},
		{"head html", "HEAD", "/", true, 200, "text/html; charset=utf-8", "", ""},
		{"post", "POST", "/", true, 405, "", "", ""},
		{"put", "PUT", "/index.html", false, 405, "", "", ""},
		{"no session", "GET", "/", false, 302, "", "", "https://alice.example/login?next=https%3A%2F%2Fnotes.alice.example%2F"},
		{"no session keeps path", "GET", "/app.js?v=2", false, 302, "", "", "https://alice.example/login?next=https%3A%2F%2Fnotes.alice.example%2Fapp.js%3Fv%3D2"},
		{"no session near public", "GET", "/publicity", false, 302, "", "", ""},
		{"public without session", "GET", "/public/", false, 200, "text/html; charset=utf-8", `"token":null`, ""},
		{"public page without session", "GET", "/public/index.html", false, 200, "text/html; charset=utf-8", "This page is public", ""},
		{"public with session gets token", "GET", "/public/", true, 200, "", `"token":"tok-123"`, ""},
		{"public missing without session", "GET", "/public/nope", false, 404, "", "", ""},
		// Traversal, raw and encoded.
		{"dotdot", "GET", "/../testdata/apps/static-notes/hearth.json", true, 400, "", "", ""},
		{"dotdot inside", "GET", "/css/../hearth.json", true, 400, "", "", ""},
		{"dotdot from public", "GET", "/public/../index.html", false, 400, "", "", ""},
		{"dot", "GET", "/./index.html", true, 400, "", "", ""},
		{"encoded dotdot", "GET", "/%2e%2e/hearth.json", true, 400, "", "", ""},
		{"encoded dotdot upper", "GET", "/public/%2E%2E/index.html", false, 400, "", "", ""},
		{"encoded slash", "GET", "/css%2fstyle.css", true, 400, "", "", ""},
		{"encoded backslash", "GET", "/public/..%5cindex.html", false, 400, "", "", ""},
		{"backslash", "GET", "/css\\style.css", true, 400, "", "", ""},
		{"encoded NUL", "GET", "/index.html%00.css", true, 400, "", "", ""},
		{"control", "GET", "/index%0a.html", true, 400, "", "", ""},
		{"double slash", "GET", "//etc/passwd", true, 400, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for range 2 { // the second time from the cache, when there is one
				checkServe(t, do(t, s, tt.method, tt.target, tt.session), tt)
			}
		})
	}
}

// checkServe checks one answer of testStaticServe.
func checkServe(t *testing.T, res *http.Response, tt serveCase) {
	t.Helper()
	b := body(t, res)
	if res.StatusCode != tt.code {
		t.Fatalf("%s %s: status %d, want %d (%s)", tt.method, tt.target, res.StatusCode, tt.code, b)
	}
	checkSecurityHeaders(t, res)
	if tt.ctype != "" && res.Header.Get("Content-Type") != tt.ctype {
		t.Errorf("Content-Type %q, want %q", res.Header.Get("Content-Type"), tt.ctype)
	}
	if tt.contains != "" && !strings.Contains(b, tt.contains) {
		t.Errorf("body lacks %q:\n%s", tt.contains, b)
	}
	if tt.location != "" && res.Header.Get("Location") != tt.location {
		t.Errorf("Location %q, want %q", res.Header.Get("Location"), tt.location)
	}
	if tt.method == "HEAD" && (b != "" || res.Header.Get("Content-Length") == "") {
		t.Errorf("HEAD: body %q, Content-Length %q", b, res.Header.Get("Content-Length"))
	}
	if tt.code == 405 && res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("Allow %q", res.Header.Get("Allow"))
	}
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") && strings.Contains(b, "window.hearth=") {
		t.Errorf("token injected into a non-HTML response")
	}
}

func TestStaticCaching(t *testing.T) {
	t.Parallel()
	css, err := os.ReadFile(filepath.Join(fixtureDir("static-notes"), "css", "style.css"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		treeHash string
		cache    bool
	}{{"modification time", "", false}, {"tree hash", "sha256:abc", false}, {"tree hash cached", "sha256:abc", true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newTestStatic(t, fixtureDir("static-notes"), func(a *StaticApp) {
				a.TreeHash = tt.treeHash
				if tt.cache {
					a.Cache = NewFileCache(0)
				}
			})
			res := do(t, s, "GET", "/css/style.css", true)
			etag, modified := res.Header.Get("ETag"), res.Header.Get("Last-Modified")
			if etag == "" || modified == "" || res.Header.Get("Cache-Control") != "no-cache" {
				t.Fatalf("caching headers: %v", res.Header)
			}
			conditional := []struct {
				name   string
				header []string
				code   int
				body   string
			}{
				{"If-None-Match", []string{"If-None-Match", etag}, 304, ""},
				{"If-None-Match weak in a list", []string{"If-None-Match", `"other", W/` + etag}, 304, ""},
				{"If-None-Match any", []string{"If-None-Match", "*"}, 304, ""},
				{"If-None-Match other", []string{"If-None-Match", `"other"`}, 200, string(css)},
				{"If-None-Match wins over If-Modified-Since", []string{"If-None-Match", `"other"`, "If-Modified-Since", modified}, 200, string(css)},
				{"If-Modified-Since", []string{"If-Modified-Since", modified}, 304, ""},
				{"If-Match other", []string{"If-Match", `"other"`}, 412, ""},
				{"Range", []string{"Range", "bytes=0-9"}, 206, string(css[:10])},
				{"If-Range", []string{"Range", "bytes=2-4", "If-Range", etag}, 206, string(css[2:5])},
				{"If-Range other", []string{"Range", "bytes=2-4", "If-Range", `"other"`}, 200, string(css)},
			}
			for _, c := range conditional {
				res := do(t, s, "GET", "/css/style.css", true, c.header...)
				b := body(t, res)
				if res.StatusCode != c.code || (c.code != 412 && b != c.body) {
					t.Errorf("%s: status %d body %q, want %d %q", c.name, res.StatusCode, b, c.code, c.body)
				}
				if res.StatusCode == 304 && (res.Header.Get("ETag") != etag || res.Header.Get("Content-Type") != "" ||
					res.Header.Get("Content-Length") != "" || res.Header.Get("Cache-Control") != "no-cache") {
					t.Errorf("%s: 304 headers %v", c.name, res.Header)
				}
				checkSecurityHeaders(t, res)
			}
			page := do(t, s, "GET", "/", true)
			if page.Header.Get("Cache-Control") != "no-store" || page.Header.Get("ETag") != "" {
				t.Fatalf("HTML page may be cached: %v", page.Header)
			}
		})
	}
}

func TestNewStaticRefuses(t *testing.T) {
	t.Parallel()
	m := loadFixture(t, "static-notes")
	tests := []struct {
		name string
		app  StaticApp
	}{
		{"no manifest", StaticApp{Dir: fixtureDir("static-notes"), Instance: testInstance}},
		{"instance with path", StaticApp{Dir: fixtureDir("static-notes"), Manifest: m, Instance: "https://alice.example/x"}},
		{"instance not URL", StaticApp{Dir: fixtureDir("static-notes"), Manifest: m, Instance: "alice.example"}},
		{"missing dir", StaticApp{Dir: t.TempDir() + "/nope", Manifest: m, Instance: testInstance}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := NewStatic(tt.app); !errors.Is(err, ErrConfig) {
				t.Fatalf("NewStatic: %v, want ErrConfig", err)
			}
		})
	}
}

func TestNonNavigationWithoutSession(t *testing.T) {
	t.Parallel()
	s := newTestStatic(t, fixtureDir("static-notes"))
	tests := []struct {
		name     string
		target   string
		header   []string
		redirect bool
	}{
		{"old browser", "/", nil, true},
		{"navigation", "/", []string{"Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document"}, true},
		{"navigation, mode only", "/notes", []string{"Sec-Fetch-Mode", "navigate"}, true},
		{"favicon", "/favicon.ico", []string{"Sec-Fetch-Mode", "no-cors", "Sec-Fetch-Dest", "image"}, false},
		{"script fetch", "/app.js", []string{"Sec-Fetch-Mode", "cors", "Sec-Fetch-Dest", "empty"}, false},
		{"stylesheet", "/css/style.css", []string{"Sec-Fetch-Mode", "no-cors", "Sec-Fetch-Dest", "style"}, false},
		{"frame", "/", []string{"Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "iframe"}, false},
		{"dest only", "/icon.svg", []string{"Sec-Fetch-Dest", "image"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := do(t, s, "GET", tt.target, false, tt.header...)
			b := body(t, res)
			checkSecurityHeaders(t, res)
			if res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", res.Header.Get("Cache-Control"))
			}
			if tt.redirect {
				if res.StatusCode != http.StatusFound || !strings.HasPrefix(res.Header.Get("Location"), testInstance+"/login?next=") {
					t.Fatalf("status %d Location %q, want the login redirect", res.StatusCode, res.Header.Get("Location"))
				}
				return
			}
			if res.StatusCode != http.StatusUnauthorized || res.Header.Get("Location") != "" || b != "Unauthorized\n" ||
				res.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
				t.Fatalf("status %d Location %q body %q, want 401 with a short text", res.StatusCode, res.Header.Get("Location"), b)
			}
		})
	}
	// Public routes and requests with a session are served as before.
	res := do(t, s, "GET", "/public/about.css", false, "Sec-Fetch-Mode", "no-cors", "Sec-Fetch-Dest", "style")
	if res.StatusCode != 200 {
		t.Fatalf("public stylesheet: %d", res.StatusCode)
	}
	if res := do(t, s, "GET", "/app.js", true, "Sec-Fetch-Mode", "no-cors", "Sec-Fetch-Dest", "script"); res.StatusCode != 200 {
		t.Fatalf("script with a session: %d", res.StatusCode)
	}
}
