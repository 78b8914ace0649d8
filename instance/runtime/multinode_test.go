package runtime_test

import (
	"context"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/instance/runtime"
	"github.com/hearth-cloud/hearth/internal/testsvc"
)

// Two runtimes on one CouchDB, each with a data directory of its own: an app installed through
// one is served by the other, which fetches the installed version's files again from its
// source, pinned to the recorded commit.
func TestAnotherNodeFetchesTheInstalledTree(t *testing.T) {
	cfg := runtime.Config{CouchDBURL: testsvc.PouchDBServer(t), AllowPrivateGit: true,
		AdminSecret: "0123456789abcdef0123456789abcdef-shared"}
	one, two := start(t, cfg), start(t, cfg)
	one.addInstance(t, "shared.test")
	b := onboard(t, two, "shared.test")

	for _, name := range []string{"static-notes", "node-hello"} {
		if err := installViaAdmin(t, one, "shared.test", fixtureRepo(t, name)); err != nil {
			t.Fatalf("install %s through runtime one: %v", name, err)
		}
	}
	if n := treesOn(t, two); n != 0 {
		t.Fatalf("runtime two holds %d trees before any request", n)
	}

	// A static app: its public page, then the owner's, through runtime two.
	if p := b.get("http://notes.shared.test/public/"); p.status != 200 || !strings.Contains(p.body, "window.hearth") {
		t.Fatalf("static app through runtime two: %d %s", p.status, p.body)
	}
	if p := b.openApp("http://notes.shared.test/"); p.status != 200 || !strings.Contains(p.body, "app.js") {
		t.Errorf("the owner opens the static app through runtime two: %d %s", p.status, p.body)
	}
	// A node app: runtime two fetches it, installs its dependencies and starts it.
	if p := b.openApp("http://hello.shared.test/"); p.status != 200 || !strings.Contains(p.body, "Hello from Node.js") {
		t.Fatalf("node app through runtime two: %d %s", p.status, p.body)
	}
	if n := treesOn(t, two); n != 2 {
		t.Errorf("runtime two holds %d trees, want 2", n)
	}
}

// When the source is gone, a node without the tree says so; nothing else breaks.
func TestAnotherNodeWithoutTheSource(t *testing.T) {
	cfg := runtime.Config{CouchDBURL: testsvc.PouchDBServer(t), AllowPrivateGit: true,
		AdminSecret: "0123456789abcdef0123456789abcdef-shared"}
	one, two := start(t, cfg), start(t, cfg)
	one.addInstance(t, "gone.test")
	repo := testsvc.GitRepo(t, fixtureFiles(t, "static-notes"), "v1.0.0")
	if err := installViaAdmin(t, one, "gone.test", serveRepo(t, repo)); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(repo); err != nil {
		t.Fatal(err)
	}
	anon := two.browser(t)
	p := anon.get("http://notes.gone.test/public/")
	if p.status != 503 || !strings.Contains(p.body, "not available on this node") {
		t.Errorf("an app whose source is gone, on a node without its tree: %d %s", p.status, p.body)
	}
	// Runtime one still has the tree and serves the app.
	if p := one.browser(t).get("http://notes.gone.test/public/"); p.status != 200 {
		t.Errorf("the installing node: %d", p.status)
	}
}

// treesOn counts the installed trees in a runtime's data directory (temporary ones start
// with a dot).
func treesOn(t *testing.T, h *harness) int {
	t.Helper()
	n := 0
	for _, name := range dirNames(t, filepath.Join(h.dataDir, "apps", "trees")) {
		if !strings.HasPrefix(name, ".") {
			n++
		}
	}
	return n
}

// Removing an instance stops its node apps and deletes their homes, sockets, logs and (as
// root) their unix users, with its data.
func TestRemovingAnInstanceRemovesItsApps(t *testing.T) {
	h := start(t, runtime.Config{AllowPrivateGit: true})
	h.addInstance(t, "leaving.test")
	h.addInstance(t, "staying.test")
	b := onboard(t, h, "leaving.test")
	stay := onboard(t, h, "staying.test")
	repo := fixtureRepo(t, "node-hello")
	for _, d := range []string{"leaving.test", "staying.test"} {
		if err := installViaAdmin(t, h, d, repo); err != nil {
			t.Fatal(err)
		}
	}
	if p := b.openApp("http://hello.leaving.test/"); p.status != 200 {
		t.Fatalf("open: %d %s", p.status, p.body)
	}
	if p := stay.openApp("http://hello.staying.test/"); p.status != 200 {
		t.Fatalf("open: %d %s", p.status, p.body)
	}
	homes := filepath.Join(h.dataDir, "apps", "node", "homes")
	before := dirNames(t, homes)
	if len(before) != 2 {
		t.Fatalf("app homes before: %v", before)
	}
	if err := h.admin.RemoveInstance(context.Background(), "leaving.test"); err != nil {
		t.Fatal(err)
	}
	after := dirNames(t, homes)
	if len(after) != 1 {
		t.Fatalf("app homes after removing one instance: %v", after)
	}
	gone := before[0]
	if before[0] == after[0] {
		gone = before[1]
	}
	for _, d := range []string{filepath.Join(h.dataDir, "apps", "node", "run", gone), filepath.Join(h.dataDir, "apps", "node", "logs", gone)} {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", d, err)
		}
	}
	// The staying instance's app still answers, the leaving one's socket is gone.
	if p := stay.get("http://hello.staying.test/"); p.status != 200 {
		t.Errorf("the other instance's app: %d", p.status)
	}
	if c, err := net.DialTimeout("unix", filepath.Join(h.dataDir, "apps", "node", "run", gone, "app.sock"), time.Second); err == nil {
		c.Close()
		t.Error("the removed instance's app still listens")
	}
	if os.Geteuid() == 0 {
		if u, err := user.Lookup("hearth-" + gone); err == nil {
			t.Errorf("the app's unix user %s (uid %s) is still there", u.Username, u.Uid)
		}
		if _, err := user.Lookup("hearth-" + after[0]); err != nil {
			t.Errorf("the staying app's unix user: %v", err)
		}
	}
}

// dirNames lists the directories in dir; none when dir does not exist.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}
