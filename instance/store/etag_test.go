package store

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A server that answers as pouchdb-server does: weak ETags hashing the body, and index paths
// only with an escaped design document.
func pouchLike(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `W/"2c-weakhash"`)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		switch {
		case r.Method == http.MethodDelete && strings.Contains(r.URL.EscapedPath(), "/_index/"):
			if !strings.Contains(r.URL.EscapedPath(), "/_index/_design%2Fidx/json/n") {
				w.WriteHeader(http.StatusNotFound)
				_, _ = io.WriteString(w, `{"error":"not_found","reason":"missing"}`)
				return
			}
			_, _ = io.WriteString(w, `{"ok":true}`)
		case r.Method == http.MethodDelete:
			_, _ = io.WriteString(w, `{"ok":true,"id":"a","rev":"2-bbb"}`)
		case r.Method == http.MethodGet || r.Method == http.MethodHead:
			_, _ = io.WriteString(w, `{"_id":"a","_rev":"1-aaa","v":1}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestStrongETags(t *testing.T) {
	srv := pouchLike(t)
	client := &http.Client{Transport: strongETags{base: http.DefaultTransport}}
	tests := []struct {
		method, path, etag string
		status             int
	}{
		{http.MethodDelete, "/db/a?rev=1-aaa", `"2-bbb"`, 200},
		{http.MethodGet, "/db/a", `"1-aaa"`, 200},
		{http.MethodHead, "/db/a", `"1-aaa"`, 200},
		{http.MethodDelete, "/db/_index/_design/idx/json/n", `"" `, 200},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			got := resp.Header.Get("ETag")
			if strings.HasPrefix(got, "W/") {
				t.Errorf("weak ETag %q left in place", got)
			}
			if want := strings.TrimSpace(tt.etag); want != `""` && got != want {
				t.Errorf("ETag = %q, want %s", got, want)
			}
			if tt.method == http.MethodGet && !strings.Contains(string(body), `"v":1`) {
				t.Errorf("body lost: %s", body)
			}
		})
	}
}

func TestDBNameNeverCollides(t *testing.T) {
	seen := map[string]string{}
	for _, dt := range []string{"io.hearth.notes", "io.hearth-notes", "io.hearthnotes", "io.hearth.notes.x", "io.hearth.notesx"} {
		name := DBName("0123456789abcdef", dt)
		if other, dup := seen[name]; dup {
			t.Errorf("%s and %s share database %s", dt, other, name)
		}
		seen[name] = dt
	}
}
