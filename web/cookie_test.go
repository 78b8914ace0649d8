package web

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzCookieValue checks that cookieValue finds what http.Request.Cookie finds.
func FuzzCookieValue(f *testing.F) {
	for _, s := range []string{
		"a=1; hearth_app=v.sig; b=2",
		" hearth_app = \"quoted\" ;x=y",
		"hearth_app=bad\\value; hearth_app=good",
		"hearth_app",
		"other=1;;; hearth_app=\"\"",
		"hearth_app=a b",
	} {
		f.Add(s, "")
		f.Add(s, "hearth_app=second")
	}
	f.Fuzz(func(t *testing.T, line1, line2 string) {
		r := &http.Request{Header: http.Header{"Cookie": {line1}}}
		if line2 != "" {
			r.Header["Cookie"] = append(r.Header["Cookie"], line2)
		}
		want := ""
		if c, err := r.Cookie("hearth_app"); err == nil {
			want = c.Value
		}
		got, ok := cookieValue(r.Header["Cookie"], "hearth_app")
		if !ok {
			if strings.Count(line1+";"+line2, ";") < maxFastCookies {
				t.Fatalf("declined %q %q", line1, line2)
			}
			return
		}
		if got != want {
			t.Fatalf("cookieValue(%q, %q) = %q, want %q", line1, line2, got, want)
		}
		if v := Cookie(r, "hearth_app"); v != want {
			t.Fatalf("Cookie = %q, want %q", v, want)
		}
	})
}
