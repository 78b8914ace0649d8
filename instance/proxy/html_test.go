package proxy

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestInjectScript(t *testing.T) {
	t.Parallel()
	const s = "<script>X</script>"
	tests := []struct {
		name, page, want string
	}{
		{"head", "<!doctype html><html><head><title>t</title></head><body></body></html>",
			"<!doctype html><html><head>" + s + "<title>t</title></head><body></body></html>"},
		{"head with attributes, upper case", "<HTML><HEAD lang=en>\n<meta></HEAD>",
			"<HTML><HEAD lang=en>" + s + "\n<meta></HEAD>"},
		{"header is not head", "<header>h</header><body class=x><p>",
			"<header>h</header><body class=x>" + s + "<p>"},
		{"body only", "<p>a</p><body>b", "<p>a</p><body>" + s + "b"},
		{"neither", "<p>hello</p>", s + "<p>hello</p>"},
		{"unterminated head tag", "<head", s + "<head"},
		{"empty", "", s},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := string(InjectScript([]byte(tt.page), []byte(s))); got != tt.want {
				t.Fatalf("InjectScript:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

var scriptRE = regexp.MustCompile(`<script nonce="([A-Za-z0-9_-]+)">window\.hearth=(.*?);</script>`)

// pageConfig finds the injected script of a page: its nonce and configuration.
func pageConfig(t *testing.T, page string) (string, PageConfig) {
	t.Helper()
	m := scriptRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no window.hearth script in:\n%s", page)
	}
	var cfg PageConfig
	if err := json.Unmarshal([]byte(m[2]), &cfg); err != nil {
		t.Fatalf("window.hearth is not JSON: %v: %s", err, m[2])
	}
	return m[1], cfg
}

func TestTokenInjection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		token string
	}{
		{"plain", "abc.def"},
		{"ends the script", `</script><script>alert(1)</script>`},
		{"comment and quotes", `<!--"';\u2028 x`},
		{"line separators", "a\u2028b\u2029c"},
		{"ampersand", "a&b>c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newTestStatic(t, fixtureDir("static-notes"), func(a *StaticApp) {
				a.TokenFor = func(*http.Request) (string, error) { return tt.token, nil }
				a.TokenTTL = time.Minute
			})
			res := do(t, s, "GET", "/", true)
			page := body(t, res)
			if n := strings.Count(page, "</script>"); n != 3 { // ours and the page's two
				t.Fatalf("%d </script> in the page, want 3: the token broke out\n%s", n, page)
			}
			for _, bad := range []string{"<script>alert", "\u2028", "\u2029", "<!--", "a&b"} {
				if strings.Contains(page, bad) {
					t.Fatalf("page holds %q unescaped:\n%s", bad, page)
				}
			}
			nonce, cfg := pageConfig(t, page)
			if cfg.Token == nil || *cfg.Token != tt.token || cfg.App != "notes" || cfg.Instance != testInstance {
				t.Fatalf("window.hearth = %+v", cfg)
			}
			if cfg.ExpiresAt < time.Now().Unix() {
				t.Errorf("expires_at %d in the past", cfg.ExpiresAt)
			}
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self' 'nonce-"+nonce+"'") {
				t.Fatalf("CSP %q does not allow nonce %q", csp, nonce)
			}
			if strings.Index(page, "window.hearth=") > strings.Index(page, `src="/hearth.js"`) {
				t.Fatal("window.hearth is set after the page's scripts")
			}
		})
	}
}

func TestNonceChanges(t *testing.T) {
	t.Parallel()
	s := newTestStatic(t, fixtureDir("static-notes"))
	n1, _ := pageConfig(t, body(t, do(t, s, "GET", "/", true)))
	n2, _ := pageConfig(t, body(t, do(t, s, "GET", "/", true)))
	if n1 == n2 || len(n1) < 16 {
		t.Fatalf("nonces %q and %q", n1, n2)
	}
	res := do(t, s, "GET", "/app.js", true)
	if csp := res.Header.Get("Content-Security-Policy"); strings.Contains(csp, "nonce-") {
		t.Fatalf("a script file's CSP allows a nonce: %q", csp)
	}
}

func TestTokenFailure(t *testing.T) {
	t.Parallel()
	s := newTestStatic(t, fixtureDir("static-notes"), func(a *StaticApp) {
		a.TokenFor = func(*http.Request) (string, error) { return "", errors.New("store down: secret detail") }
	})
	res := do(t, s, "GET", "/", true)
	b := body(t, res)
	if res.StatusCode != http.StatusInternalServerError || strings.Contains(b, "secret detail") {
		t.Fatalf("status %d body %q", res.StatusCode, b)
	}
	checkSecurityHeaders(t, res)
	// Assets need no token.
	if res := do(t, s, "GET", "/app.js", true); res.StatusCode != 200 {
		t.Fatalf("GET /app.js: %d", res.StatusCode)
	}
}

func TestNoGate(t *testing.T) {
	t.Parallel()
	s := newTestStatic(t, fixtureDir("static-notes"), func(a *StaticApp) {
		a.Gate = nil
		a.LoginURL = "https://alice.example/auth/login?lang=fr"
	})
	res := do(t, s, "GET", "/", true)
	want := "https://alice.example/auth/login?lang=fr&next=https%3A%2F%2Fnotes.alice.example%2F"
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != want {
		t.Fatalf("status %d Location %q, want 302 %q", res.StatusCode, res.Header.Get("Location"), want)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("redirect may be cached")
	}
	if res := do(t, s, "GET", "/public/", false); res.StatusCode != 200 {
		t.Fatalf("public route without gate: %d", res.StatusCode)
	}
}

// The script pages get, built from the app's configuration prefix, is ConfigScript's.
func TestPageScriptIsConfigScript(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		instance string
		token    *string
		expires  int64
	}{
		{"public", "https://alice.example", nil, 0},
		{"token", "https://alice.example", ptr("abc.def"), 0},
		{"token that ends the script", "http://alice.test:8080", ptr(`</script><!--"'&` + "\u2028"), 1700000000},
		{"empty token", "https://alice.example", ptr(""), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newTestStatic(t, fixtureDir("static-notes"), func(a *StaticApp) { a.Instance = tt.instance })
			const nonce = "AAAABBBBCCCCDDDDEEEEFFFF"
			want, err := ConfigScript(PageConfig{Instance: tt.instance, App: "notes", Token: tt.token, ExpiresAt: tt.expires}, nonce)
			if err != nil {
				t.Fatal(err)
			}
			var token []byte
			if tt.token != nil {
				token, _ = json.Marshal(*tt.token)
			}
			if got := s.appendScript(nil, []byte(nonce), token, tt.expires); string(got) != string(want) {
				t.Fatalf("page script\n got %s\nwant %s", got, want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
