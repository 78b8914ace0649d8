package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hearth-cloud/hearth/web"
)

func TestRegistryPages(t *testing.T) {
	t.Parallel()
	pages, err := web.LoadRegistry(nil)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	pages.Render(w, http.StatusTeapot, "message", web.View{Title: "<T>", Instance: "apps.example",
		Data: struct{ Heading, Text, Back string }{"<script>x</script>", "text", ""}})
	body := w.Body.String()
	if w.Code != http.StatusTeapot || strings.Contains(body, "<script>x") || !strings.Contains(body, "&lt;script&gt;x") ||
		!strings.Contains(body, "<title>&lt;T&gt; · apps.example</title>") || !strings.Contains(w.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("%d %v\n%s", w.Code, w.Header(), body)
	}
}

func TestRegistryAssets(t *testing.T) {
	t.Parallel()
	h := web.RegistryAssets()
	for path, want := range map[string]int{"/registry.css": 200, "/hearth.css": 200, "/hearth.svg": 200, "/nope.css": 404} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != want || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d %v", path, w.Code, w.Header())
		}
	}
}

func TestIsWebURL(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{"https://git.example/a.git": true, "HTTP://x.example": true, "https://": false,
		"ssh://git@x/a.git": false, "javascript:alert(1)": false, "git@x:a.git": false, "/local": false} {
		if got := web.IsWebURL(s); got != want {
			t.Errorf("IsWebURL(%q) = %v", s, got)
		}
	}
}
