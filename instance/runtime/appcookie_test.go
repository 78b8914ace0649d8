package runtime_test

import (
	"net/http"
	"testing"

	"github.com/hearth-cloud/hearth/instance/home"
)

// TestStripAppCookie checks what of a request's cookies goes on to a node app: the app's own,
// as the browser sent them, never the app session's.
func TestStripAppCookie(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   []string
		want []string // nil: no Cookie header
	}{
		{"none", nil, nil},
		{"only the app's", []string{`theme=dark; n="quoted value"`}, []string{`theme=dark; n="quoted value"`}},
		{"only the session", []string{"hearth_app=v1.sig"}, nil},
		{"both", []string{"theme=dark; hearth_app=v1.sig; lang=fr"}, []string{"theme=dark; lang=fr"}},
		{"TLS name", []string{"__Host-hearth_app=v1.sig;theme=dark"}, []string{"theme=dark"}},
		{"spaces around the name", []string{" hearth_app =v1.sig ; theme=dark"}, []string{"theme=dark"}},
		{"several lines", []string{"a=1; hearth_app=v1.sig", "hearth_app=v2.sig", "b=2"}, []string{"a=1; b=2"}},
		{"names that only look alike", []string{"hearth_apps=1; my_hearth_app=2; hearth_app=v1.sig"}, []string{"hearth_apps=1; my_hearth_app=2"}},
		{"no value", []string{"hearth_app; theme=dark"}, []string{"theme=dark"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "http://hello.alice.test/", nil)
			if tc.in != nil {
				r.Header["Cookie"] = tc.in
			}
			home.StripAppCookie(r)
			got := r.Header["Cookie"]
			if len(got) != len(tc.want) || (len(got) == 1 && got[0] != tc.want[0]) {
				t.Errorf("Cookie %q, want %q", got, tc.want)
			}
		})
	}
}
