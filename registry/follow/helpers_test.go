package follow_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/internal/testsvc"
	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/follow"
	"github.com/hearth-cloud/hearth/registry/gitindex"
	"github.com/hearth-cloud/hearth/registry/gitsource"
	"github.com/hearth-cloud/hearth/registry/server"
	"github.com/hearth-cloud/hearth/registry/store"
)

var local = gitsource.Policy{AllowPrivate: true}

// registry is a real registry (store, server, HTTP listener) for a test.
type registry struct {
	t      testing.TB
	name   string
	url    string
	dir    string
	st     *store.Store
	signer *entry.Signer
	down   atomic.Bool // when set, the listener answers 503 to everything
	// tamper, when set, rewrites the body of the answers to paths it accepts.
	tamper atomic.Pointer[func(path string, body []byte) []byte]
}

func newRegistry(t testing.TB, name, dbURL string) *registry {
	t.Helper()
	signer, err := entry.GenerateSigner()
	if err != nil {
		t.Fatal(err)
	}
	r := &registry{t: t, name: name, dir: t.TempDir(), signer: signer}
	ts := httptest.NewUnstartedServer(nil)
	r.url = "http://" + ts.Listener.Addr().String()
	origin := entry.Origin{Name: name, Key: signer.Fingerprint(), URL: r.url}
	r.st, err = store.Open(context.Background(), dbURL, r.dir, store.Options{Origin: origin, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.st.Close() })
	srv, err := server.New(server.Config{DataDir: r.dir, Policy: local, RefreshInterval: time.Hour}, r.st, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = r.wrap(srv.Handler())
	ts.Start()
	t.Cleanup(ts.Close)
	return r
}

// wrap makes the registry's handler go down or lie on demand.
func (r *registry) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.down.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		f := r.tamper.Load()
		if f == nil {
			h.ServeHTTP(w, req)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body := (*f)(req.URL.Path, rec.Body.Bytes())
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

func (r *registry) follower() *follow.Follower {
	return &follow.Follower{Store: r.st, Archives: gitindex.DirArchives{Dir: filepath.Join(r.dir, "archives")}, Policy: local}
}

// follow records peer as followed by r, with the key pinned.
func (r *registry) follow(peer *registry) *store.Peer {
	r.t.Helper()
	p, err := r.st.AddPeer(context.Background(), peer.url, peer.signer.Fingerprint())
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

// sync runs one pass of r's follower over p and fails the test on error.
func (r *registry) sync(p *store.Peer) *follow.Report {
	r.t.Helper()
	rep, err := r.follower().Sync(context.Background(), p)
	if err != nil {
		r.t.Fatalf("%s syncing %s: %v", r.name, p.URL, err)
	}
	return rep
}

// call sends a JSON request to r's API and decodes the answer into out; it returns the status.
func (r *registry) call(method, path, token string, body, out any) int {
	r.t.Helper()
	var in io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		in = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, r.url+path, in)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && json.Unmarshal(data, out) != nil {
		r.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	return resp.StatusCode
}

// publish signs up a publisher on r, puts an app with one commit per version (each tagged
// v{version}) in a Git repository served over HTTP, and submits it. It returns the token.
func (r *registry) publish(slug string, versions ...string) string {
	r.t.Helper()
	var acct struct{ Token, Proof string }
	if st := r.call("POST", "/api/v1/publishers", "", map[string]string{
		"email": slug + "@" + r.name, "password": "a long enough passphrase", "name": "Pub " + r.name}, &acct); st != http.StatusCreated {
		r.t.Fatalf("signup: %d", st)
	}
	var bare string
	for i, v := range versions {
		files := map[string]string{
			"hearth.json": fmt.Sprintf(`{"slug": %q, "name": "App %s", "version": %q, "kind": "static",
  "permissions": {"notes": {"doctype": "io.hearth.notes", "description": "To keep your notes."}}}`, slug, slug, v),
			"index.html":    "<h1>" + v + "</h1>",
			".hearth-proof": acct.Proof,
		}
		if i == 0 {
			bare = testsvc.GitRepo(r.t, files, "v"+v)
		} else {
			testsvc.GitCommit(r.t, bare, files, "v"+v)
		}
	}
	gitURL := testsvc.GitHTTP(r.t, filepath.Dir(bare)) + "/app.git"
	var res struct{ Problems []string }
	if st := r.call("POST", "/api/v1/apps", acct.Token, map[string]string{"git_url": gitURL}, &res); st != http.StatusCreated {
		r.t.Fatalf("submit %s to %s: %d %v", slug, r.name, st, res.Problems)
	}
	return acct.Token
}

// app is what r's API says of an app.
type app struct {
	Slug   string       `json:"slug"`
	Origin entry.Origin `json:"origin"`
	Latest struct {
		Stable string `json:"stable"`
	} `json:"latest"`
	Deprecated *entry.Deprecation `json:"deprecated"`
	Versions   []struct {
		Version       string      `json:"version"`
		ArchiveSHA256 string      `json:"archive_sha256"`
		Yanked        *entry.Yank `json:"yanked"`
	} `json:"versions"`
}

// app returns r's view of the app (origin, slug); ok is false on 404.
func (r *registry) app(origin *registry, slug string) (a app, ok bool) {
	r.t.Helper()
	st := r.call("GET", "/api/v1/apps/"+slug+"?origin="+origin.signer.Fingerprint(), "", nil, &a)
	return a, st == http.StatusOK
}

// feed returns r's whole feed, each entry opened with r's key.
func (r *registry) feed() []*entry.Entry {
	r.t.Helper()
	var out struct {
		Changes []struct {
			Seq int64 `json:"seq"`
			entry.Signed
		} `json:"changes"`
	}
	r.call("GET", "/api/v1/changes?limit=1000", "", nil, &out)
	var es []*entry.Entry
	for _, c := range out.Changes {
		e, err := entry.Open(&c.Signed, r.signer.Fingerprint())
		if err != nil {
			r.t.Fatalf("%s's change %d: %v", r.name, c.Seq, err)
		}
		es = append(es, e)
	}
	return es
}
