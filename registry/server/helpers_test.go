package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/internal/testsvc"
	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/gitsource"
	"github.com/hearth-cloud/hearth/registry/server"
	"github.com/hearth-cloud/hearth/registry/store"
)

// env is a registry served over httptest, with its store and key.
type env struct {
	t      *testing.T
	url    string
	st     *store.Store
	srv    *server.Server
	signer *entry.Signer
}

// backends run the store-heavy tests on SQLite and a real PostgreSQL.
var backends = []struct {
	name string
	url  func(t *testing.T) string
}{
	{"sqlite", func(*testing.T) string { return "" }},
	{"postgres", func(t *testing.T) string { return testsvc.PostgreSQL(t) }},
}

// each runs test against a new registry on every backend, in parallel.
func each(t *testing.T, test func(t *testing.T, e *env)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			test(t, newEnv(t, b.url(t), gitsource.Policy{AllowPrivate: true}))
		})
	}
}

func newEnv(t *testing.T, dbURL string, policy gitsource.Policy) *env {
	t.Helper()
	signer, err := entry.GenerateSigner()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	origin := entry.Origin{Name: "reg.test", Key: signer.Fingerprint(), URL: "https://reg.test"}
	st, err := store.Open(context.Background(), dbURL, dir, store.Options{Origin: origin, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	srv, err := server.New(server.Config{DataDir: dir, Policy: policy, RefreshInterval: time.Hour}, st, log)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &env{t: t, url: ts.URL, st: st, srv: srv, signer: signer}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimSpace(p)))
	return len(p), nil
}

// run starts the server's refresh loop until the test ends.
func (e *env) run() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = e.srv.Run(ctx); close(done) }()
	e.t.Cleanup(func() { cancel(); <-done })
}

// do sends a request with an optional token and JSON body and decodes the JSON answer into out.
func (e *env) do(method, path, token string, body any, out any) (int, http.Header) {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.url+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode, resp.Header
}

// must is do, failing the test unless the status is want.
func (e *env) must(want int, method, path, token string, body any, out any) {
	e.t.Helper()
	var raw json.RawMessage
	if got, _ := e.do(method, path, token, body, &raw); got != want {
		e.t.Fatalf("%s %s: %d %s, want %d", method, path, got, raw, want)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatal(err)
		}
	}
}

// publisher signs up a publisher; it returns the token and the proof.
func (e *env) publisher(email string) (token, proof string) {
	e.t.Helper()
	var out struct{ Token, Proof string }
	e.must(http.StatusCreated, "POST", "/api/v1/publishers", "",
		map[string]string{"email": email, "password": "correct horse battery", "name": "Ada"}, &out)
	return out.Token, out.Proof
}

// appFiles is the tree of a static app with this slug, version and proof file.
func appFiles(slug, version, proof string) map[string]string {
	files := map[string]string{
		"hearth.json": fmt.Sprintf(`{"slug": %q, "name": "Notes", "version": %q, "kind": "static",
  "description": "Keep your notes", "icon": "icon.svg", "categories": ["productivity"],
  "permissions": {"notes": {"doctype": "io.hearth.notes", "description": "To keep your notes."}}}`, slug, version),
		"index.html": "<h1>" + version + "</h1>",
		"icon.svg":   `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`,
	}
	if proof != "" {
		files[".hearth-proof"] = proof + "\n"
	}
	return files
}

// repo makes a Git repository served over HTTP with one commit of files
// tagged tags; it returns the bare repository and its URL.
func repo(t *testing.T, files map[string]string, tags ...string) (bare, url string) {
	t.Helper()
	bare = testsvc.GitRepo(t, files, tags...)
	return bare, testsvc.GitHTTP(t, filepath.Dir(bare)) + "/app.git"
}

// submitResult is the answer to POST /api/v1/apps.
type submitResult struct {
	App      map[string]any   `json:"app"`
	Versions []map[string]any `json:"versions"`
	Problems []string         `json:"problems"`
	Webhook  struct{ URL, Secret string }
}

// feed returns every entry of the registry's feed, opened with its key.
func (e *env) feed() []*entry.Entry {
	e.t.Helper()
	var out struct {
		Changes []struct {
			Seq int64 `json:"seq"`
			entry.Signed
		} `json:"changes"`
		More bool `json:"more"`
	}
	e.must(http.StatusOK, "GET", "/api/v1/changes?since=0&limit=1000", "", nil, &out)
	var es []*entry.Entry
	for _, c := range out.Changes {
		en, err := entry.Open(&c.Signed, e.signer.Fingerprint())
		if err != nil {
			e.t.Fatalf("change %d: %v", c.Seq, err)
		}
		es = append(es, en)
	}
	return es
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
