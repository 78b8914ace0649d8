package proxy

import (
	"net/http"
	"strings"
	"testing"
)

func TestContentSecurityPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, instance, nonce string
		want, wantNot         []string
	}{
		{"https", "https://alice.example", "",
			[]string{"connect-src 'self' https://alice.example wss://alice.example", "script-src 'self';", "frame-ancestors 'none'", "default-src 'self'"},
			[]string{"nonce-", "unsafe-eval"}},
		{"http with port", "http://alice.test:8080", "abc",
			[]string{"connect-src 'self' http://alice.test:8080 ws://alice.test:8080", "script-src 'self' 'nonce-abc'"},
			[]string{"wss://"}},
		{"not an origin", "::bad", "", []string{"connect-src 'self';"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			csp := ContentSecurityPolicy(tt.instance, tt.nonce)
			for _, w := range tt.want {
				if !strings.Contains(csp, w) {
					t.Errorf("CSP %q lacks %q", csp, w)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(csp, w) {
					t.Errorf("CSP %q holds %q", csp, w)
				}
			}
		})
	}
}

func TestCookiesNeverCross(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h.Add("Set-Cookie", "hearth_session=x; Domain=alice.example")
	SetSecurityHeaders(h, "https://alice.example", "")
	if h.Get("Set-Cookie") != "" {
		t.Fatalf("Set-Cookie kept: %v", h)
	}
	// A request's cookies never come back from the static handler either.
	s := newTestStatic(t, fixtureDir("static-notes"))
	res := do(t, s, "GET", "/", true, "Cookie", "hearth_session=x")
	if len(res.Header.Values("Set-Cookie")) != 0 || strings.Contains(body(t, res), "hearth_session") {
		t.Fatalf("the session cookie leaked into the response")
	}
}
