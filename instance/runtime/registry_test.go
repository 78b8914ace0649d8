package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/instance/apps"
	"github.com/hearth-cloud/hearth/instance/runtime"
	"github.com/hearth-cloud/hearth/internal/testsvc"
	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/follow"
	"github.com/hearth-cloud/hearth/registry/gitindex"
	"github.com/hearth-cloud/hearth/registry/gitsource"
	"github.com/hearth-cloud/hearth/registry/server"
	"github.com/hearth-cloud/hearth/registry/store"
)

// realRegistry is a registry server (SQLite) on loopback, and one publisher's token.
type realRegistry struct {
	t     *testing.T
	url   string
	key   string
	token string
	proof string
	st    *store.Store
	dir   string
}

func startRegistry(t *testing.T) *realRegistry { return startNamedRegistry(t, "apps.test") }

func startNamedRegistry(t *testing.T, name string) *realRegistry {
	t.Helper()
	signer, err := entry.GenerateSigner()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	origin := entry.Origin{Name: name, Key: signer.Fingerprint(), URL: "https://" + name}
	st, err := store.Open(context.Background(), "", dir, store.Options{Origin: origin, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := server.New(server.Config{DataDir: dir, Policy: gitsource.Policy{AllowPrivate: true}, RefreshInterval: time.Hour},
		st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	r := &realRegistry{t: t, url: ts.URL, key: signer.Fingerprint(), st: st, dir: dir}
	var out struct{ Token, Proof string }
	r.call(http.StatusCreated, "POST", "/api/v1/publishers", map[string]string{"email": "ada@" + name, "password": "correct horse battery", "name": "Ada"}, &out)
	r.token, r.proof = out.Token, out.Proof
	return r
}

// call sends a publisher's request and decodes the answer, failing unless its status is want.
func (r *realRegistry) call(want int, method, path string, body, out any) {
	r.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, r.url+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		r.t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, raw, want)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			r.t.Fatal(err)
		}
	}
}

// publish makes the Git repository of an app (its proof committed), tags version, submits it
// to the registry and returns the bare repository.
func (r *realRegistry) publish(slug, name, version string, perms map[string]string) string {
	r.t.Helper()
	files := appFiles(slug, name, version, perms)
	files[".hearth-proof"] = r.proof + "\n"
	bare := testsvc.GitRepo(r.t, files, "v"+version)
	gitURL := serveRepo(r.t, bare)
	r.call(http.StatusCreated, "POST", "/api/v1/apps", map[string]string{"git_url": gitURL}, nil)
	return bare
}

// tag commits a new version of an app and has the registry index it.
func (r *realRegistry) tag(bare, slug, name, version string, perms map[string]string) {
	r.t.Helper()
	files := appFiles(slug, name, version, perms)
	files[".hearth-proof"] = r.proof + "\n"
	testsvc.GitCommit(r.t, bare, files, "v"+version)
	var out struct {
		Versions []map[string]any `json:"versions"`
	}
	r.call(http.StatusOK, "POST", "/api/v1/apps/"+slug+"/refresh", nil, &out)
	if len(out.Versions) == 0 { // the tag, and the default branch's head on the dev channel
		r.t.Fatalf("refresh of %s found no new version, want %s", slug, version)
	}
}

// An instance installs from the real registry server's store, follows its publisher's new
// versions with "update all", and shows its yanks and advisories.
func TestInstallFromARealRegistry(t *testing.T) {
	reg := startRegistry(t)
	notes := reg.publish("notes", "Notes", "1.0.0", map[string]string{"io.hearth.notes": `"GET", "POST"`})
	tasks := reg.publish("tasks", "Tasks", "1.0.0", map[string]string{"io.hearth.tasks": `"GET"`})
	h := start(t, runtime.Config{AllowPrivateGit: true, Registries: []apps.Registry{{URL: reg.url, Key: reg.key}}})
	h.addInstance(t, "alice.test")
	b := onboard(t, h, "alice.test")

	store := b.get("http://alice.test/store")
	if strings.Count(store.body, `class="tile store-app"`) != 2 || !strings.Contains(store.body, "apps.test") {
		t.Fatalf("store: %d %s", store.status, store.body)
	}
	for _, slug := range []string{"notes", "tasks"} {
		plan := b.post("http://alice.test/store/install", store, url.Values{"registry": {reg.url}, "origin": {reg.key}, "slug": {slug}})
		accept := regexp.MustCompile(`action="(/apps/plans/[^"]+)"`).FindStringSubmatch(plan.body)
		if plan.status != 200 || accept == nil || !strings.Contains(plan.body, "io.hearth."+slug) {
			t.Fatalf("install %s: %d %s", slug, plan.status, plan.body)
		}
		if done := b.post("http://alice.test"+accept[1], plan, url.Values{}); done.status != 200 || !strings.Contains(done.body, "is installed") {
			t.Fatalf("accept %s: %d %s", slug, done.status, done.body)
		}
	}
	if p := b.get("http://notes.alice.test/"); p.status >= 400 && p.status != http.StatusFound {
		t.Errorf("open notes: %d", p.status)
	}

	// The publisher tags a version asking nothing new, and one asking for more.
	reg.tag(notes, "notes", "Notes", "1.1.0", map[string]string{"io.hearth.notes": `"GET", "POST"`})
	reg.tag(tasks, "tasks", "Tasks", "2.0.0", map[string]string{"io.hearth.tasks": `"GET"`, "io.hearth.contacts": `"GET"`})
	home := b.get("http://alice.test/")
	res := b.post("http://alice.test/apps/update-all", home, url.Values{})
	if res.status != 200 || !regexp.MustCompile(`(?s)id="updated">.*Notes</strong> 1.0.0 → 1.1.0`).MatchString(res.body) ||
		!regexp.MustCompile(`(?s)id="waiting">.*Tasks</strong> 1.0.0 → 2.0.0 also asks for:.*io.hearth.contacts`).MatchString(res.body) {
		t.Fatalf("update all: %d %s", res.status, res.body)
	}
	list, err := h.admin.ListApps(context.Background(), "alice.test")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		if a.Source.Registry == nil || a.Source.Registry.Origin != reg.key {
			t.Errorf("%s: source %+v", a.Slug, a.Source)
		}
		if a.Slug == "notes" && a.Version != "1.1.0" || a.Slug == "tasks" && (a.Version != "1.0.0" || a.Pending == nil) {
			t.Errorf("%s after update all: %s, pending %v", a.Slug, a.Version, a.Pending)
		}
	}

	// A yank and an advisory show on the app's page and on home.
	reg.call(http.StatusOK, "POST", "/api/v1/apps/notes/versions/1.1.0/yank", map[string]string{"reason": "Loses notes on save"}, nil)
	reg.call(http.StatusCreated, "POST", "/api/v1/apps/notes/advisories",
		map[string]string{"id": "HSA-2026-1", "summary": "XSS in note titles", "severity": "high", "fixed": "1.2.0"}, nil)
	details := b.get("http://alice.test/apps/notes")
	for _, want := range []string{`id="yanked"`, "Loses notes on save", "HSA-2026-1", "XSS in note titles", "Fixed in 1.2.0"} {
		if !strings.Contains(details.body, want) {
			t.Errorf("app page lacks %q: %s", want, details.body)
		}
	}
	if home := b.get("http://alice.test/"); !strings.Contains(home.body, "this version was withdrawn") || !strings.Contains(home.body, "security: high") {
		t.Errorf("home does not show the yank and the advisory: %s", home.body)
	}
}

// follow has r mirror peer once, as "registry serve" does every minute; it returns what it did.
func (r *realRegistry) follow(peer *realRegistry) *follow.Report {
	r.t.Helper()
	p, err := r.st.AddPeer(context.Background(), peer.url, peer.key)
	if err != nil {
		r.t.Fatal(err)
	}
	f := &follow.Follower{Store: r.st, Archives: gitindex.DirArchives{Dir: filepath.Join(r.dir, "archives")},
		Policy: gitsource.Policy{AllowPrivate: true}}
	rep, err := f.Sync(context.Background(), p)
	if err != nil {
		r.t.Fatal(err)
	}
	return rep
}

// Two registries follow each other; an instance that trusts only the second installs the
// first one's app through it, origin kept, and updates it when the first publishes again.
func TestInstallThroughAFollowingRegistry(t *testing.T) {
	a, b := startNamedRegistry(t, "a.test"), startNamedRegistry(t, "b.test")
	notes := a.publish("notes", "Notes", "1.0.0", map[string]string{"io.hearth.notes": `"GET", "POST"`})
	if rep := b.follow(a); rep.Applied == 0 {
		t.Fatalf("b mirrored nothing of a: %+v", rep)
	}
	if rep := a.follow(b); rep.Applied != 0 || rep.Refused == 0 {
		t.Errorf("a took back its own entries from b: %+v", rep)
	}
	h := start(t, runtime.Config{AllowPrivateGit: true, Registries: []apps.Registry{{URL: b.url, Key: b.key}}})
	h.addInstance(t, "alice.test")
	br := onboard(t, h, "alice.test")

	store := br.get("http://alice.test/store")
	if strings.Count(store.body, `class="tile store-app"`) != 1 || !strings.Contains(store.body, "a.test") {
		t.Fatalf("store through b: %d %s", store.status, store.body)
	}
	plan := br.post("http://alice.test/store/install", store, url.Values{"registry": {b.url}, "origin": {a.key}, "slug": {"notes"}})
	accept := regexp.MustCompile(`action="(/apps/plans/[^"]+)"`).FindStringSubmatch(plan.body)
	if plan.status != 200 || accept == nil || !strings.Contains(plan.body, "a.test") {
		t.Fatalf("install through b: %d %s", plan.status, plan.body)
	}
	if done := br.post("http://alice.test"+accept[1], plan, url.Values{}); done.status != 200 {
		t.Fatalf("accept: %d %s", done.status, done.body)
	}

	a.tag(notes, "notes", "Notes", "1.1.0", map[string]string{"io.hearth.notes": `"GET", "POST"`})
	b.follow(a)
	home := br.get("http://alice.test/")
	if res := br.post("http://alice.test/apps/update-all", home, url.Values{}); res.status != 200 ||
		!regexp.MustCompile(`(?s)id="updated">.*Notes</strong> 1.0.0 → 1.1.0`).MatchString(res.body) {
		t.Fatalf("update all through b: %d %s", res.status, res.body)
	}
	list, err := h.admin.ListApps(context.Background(), "alice.test")
	if err != nil || len(list) != 1 {
		t.Fatalf("apps: %v %v", list, err)
	}
	if src := list[0].Source.Registry; src == nil || src.URL != b.url || src.Key != b.key || src.Origin != a.key || list[0].Version != "1.1.0" {
		t.Errorf("installed: %s from %+v", list[0].Version, src)
	}
}
