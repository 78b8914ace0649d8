package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-cloud/hearth/internal/testsvc"
	"github.com/hearth-cloud/hearth/registry/client/clienttest"
	"github.com/hearth-cloud/hearth/registry/entry"
)

func cliIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var o, e bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &o, &e)
	return code, o.String(), e.String()
}

func TestAppsCLI(t *testing.T) {
	dir := t.TempDir()
	_, adm := serveInProcess(t, dir)
	flags := []string{"--admin-url", "http://" + adm, "--data-dir", dir, "--instance", "apps.test"}
	apps := func(sub string, rest ...string) []string {
		return append(append([]string{"apps", sub}, flags...), rest...)
	}
	if code, _, e := cli(t, "instances", "add", "--admin-url", "http://"+adm, "--data-dir", dir, "apps.test"); code != 0 {
		t.Fatal(e)
	}
	manifest := func(version, verbs string) string {
		return `{"slug": "notes", "name": "Notes", "version": "` + version + `", "kind": "static",
			"permissions": {"notes": {"doctype": "io.hearth.notes", "verbs": [` + verbs + `], "description": "To keep your notes."}}}`
	}
	repo := testsvc.GitRepo(t, map[string]string{"hearth.json": manifest("1.0.0", `"GET"`), "index.html": "hi"}, "v1.0.0")
	url := testsvc.GitHTTP(t, filepath.Dir(repo)) + "/" + filepath.Base(repo)

	// Saying no installs nothing; saying yes installs.
	code, out, _ := cliIn(t, "n\n", apps("install", url)...)
	if code != 1 || !strings.Contains(out, "io.hearth.notes (GET): To keep your notes.") || !strings.Contains(out, "nothing changed") {
		t.Fatalf("install refused: %d %q", code, out)
	}
	if _, out, _ := cli(t, apps("ls")...); strings.Contains(out, "notes") {
		t.Fatalf("installed after a no: %q", out)
	}
	if code, out, e := cliIn(t, "y\n", apps("install", url, "--ref", "v1.0.0")...); code != 0 || !strings.Contains(out, "installed notes 1.0.0") {
		t.Fatalf("install: %d %q %q", code, out, e)
	}
	if code, out, _ := cli(t, apps("ls")...); code != 0 || !strings.Contains(out, "notes") || !strings.Contains(out, "1.0.0") {
		t.Fatalf("ls: %q", out)
	}
	if code, _, e := cli(t, apps("install", url, "--yes")...); code != 1 || !strings.Contains(e, "already installed") {
		t.Errorf("install twice: %d %q", code, e)
	}

	// An update asking for more waits for a yes.
	testsvc.GitCommit(t, repo, map[string]string{"hearth.json": manifest("1.1.0", `"GET", "PUT"`), "index.html": "hi 2"}, "v1.1.0")
	if code, out, e := cliIn(t, "", apps("update", "notes", "--ref", "v1.1.0")...); code != 1 || !strings.Contains(out, "asks for more") {
		t.Fatalf("update without an answer: %d %q %q", code, out, e)
	}
	if _, out, _ := cli(t, apps("ls")...); !strings.Contains(out, "1.1.0 (needs approval)") {
		t.Errorf("ls while waiting: %q", out)
	}
	if code, out, e := cli(t, apps("update", "notes", "--ref", "v1.1.0", "--yes")...); code != 0 || !strings.Contains(out, "updated notes 1.1.0") {
		t.Fatalf("update --yes: %d %q %q", code, out, e)
	}

	// Hostile or broken sources end in a clear message and change nothing.
	for _, bad := range []struct{ url, msg string }{
		{"file:///etc", "file"},
		{"ssh://git@127.0.0.1/x.git", "ssh"},
		{url + "-missing", "not found"},
	} {
		if code, _, e := cli(t, append(apps("install", bad.url), "--yes")...); code != 1 || !strings.Contains(strings.ToLower(e), bad.msg) {
			t.Errorf("install %s: %d %q", bad.url, code, e)
		}
	}
	if code, out, _ := cli(t, apps("rm", "notes")...); code != 0 || !strings.Contains(out, "kept the documents of io.hearth.notes") {
		t.Errorf("rm: %d %q", code, out)
	}
	if code, _, e := cli(t, apps("rm", "notes")...); code != 1 || !strings.Contains(e, "not installed") {
		t.Errorf("rm twice: %d %q", code, e)
	}
	if code, _, _ := cli(t, "apps", "ls"); code != 2 {
		t.Errorf("apps ls without --instance: exit %d, want 2", code)
	}
}

func TestAppsFromRegistryCLI(t *testing.T) {
	reg := clienttest.New(t, "apps.test")
	files := func(slug, version, verbs string, more ...string) map[string]string {
		perms := `"d": {"doctype": "io.hearth.` + slug + `", "verbs": [` + verbs + `], "description": "To keep your ` + slug + `."}`
		for _, doctype := range more {
			perms += `, "` + strings.ReplaceAll(doctype, ".", "-") + `": {"doctype": "` + doctype + `", "description": "To link them."}`
		}
		return map[string]string{"index.html": "hi " + version, "hearth.json": `{"slug": "` + slug + `", "name": "` + slug + `", "version": "` + version +
			`", "kind": "static", "permissions": {` + perms + `}}`}
	}
	for _, slug := range []string{"notes", "todo"} {
		reg.PublishApp(slug, entry.App{Name: slug, Source: "https://git.example/" + slug + ".git"})
		reg.PublishVersion(files(slug, "1.0.0", `"GET"`))
	}
	t.Setenv("HEARTH_REGISTRY", reg.Trusted()) // the environment twin of --registry
	dir := t.TempDir()
	_, adm := serveInProcess(t, dir)
	admin := []string{"--admin-url", "http://" + adm, "--data-dir", dir}
	apps := func(sub string, rest ...string) []string {
		return append(append([]string{"apps", sub, "--instance", "apps.test"}, admin...), rest...)
	}
	registries := func(rest ...string) []string {
		return append(append([]string{"instances", "registries", "apps.test"}, admin...), rest...)
	}
	if code, _, e := cli(t, append([]string{"instances", "add", "apps.test"}, admin...)...); code != 0 {
		t.Fatal(e)
	}
	if code, out, e := cli(t, registries()...); code != 0 || !strings.Contains(out, "1 registries") || !strings.Contains(out, "runtime's list") || !strings.Contains(out, reg.Key()) {
		t.Fatalf("registries: %d %q %q", code, out, e)
	}
	for _, slug := range []string{"notes", "todo"} {
		code, out, e := cli(t, apps("install", slug, "--from-registry", reg.URL, "--yes")...)
		if code != 0 || !strings.Contains(out, "installed "+slug+" 1.0.0") || !strings.Contains(out, "origin apps.test") {
			t.Fatalf("install %s: %d %q %q", slug, code, out, e)
		}
	}
	reg.PublishVersion(files("notes", "1.1.0", `"GET"`))
	reg.PublishVersion(files("todo", "2.0.0", `"GET"`, "io.hearth.contacts"))
	code, out, e := cli(t, apps("update", "--all")...)
	if code != 0 || !strings.Contains(out, "updated  notes 1.0.0 -> 1.1.0") || !strings.Contains(out, "waiting  todo 1.0.0 -> 2.0.0") ||
		!strings.Contains(out, "io.hearth.contacts") {
		t.Fatalf("update --all: %d %q %q", code, out, e)
	}
	if code, out, _ := cli(t, apps("update", "--all")...); code != 0 || !strings.Contains(out, "current  notes 1.1.0") {
		t.Errorf("update --all again: %d %q", code, out)
	}

	// The instance's own list replaces the runtime's: updates come from the same registry only.
	other := clienttest.New(t, "other.test")
	if code, out, e := cli(t, registries("--set", other.Trusted())...); code != 0 || !strings.Contains(out, "its own list") || !strings.Contains(out, other.URL) {
		t.Fatalf("registries --set: %d %q %q", code, out, e)
	}
	if code, _, e := cli(t, apps("update", "notes")...); code != 1 || !strings.Contains(e, "no longer trusts") {
		t.Errorf("update from a registry no longer trusted: %d %q", code, e)
	}
	if code, out, e := cli(t, apps("update", "--all")...); code != 1 || !strings.Contains(out, "failed   notes") || !strings.Contains(e, "2 of 2 apps") {
		t.Errorf("update --all with no trusted registry for them: %d %q %q", code, out, e)
	}
	if code, out, _ := cli(t, registries("--clear")...); code != 0 || !strings.Contains(out, "runtime's list") {
		t.Errorf("registries --clear: %d %q", code, out)
	}
	for _, bad := range [][]string{{"--set", "https://x.example"}, {"--set", "https://x.example=ed25519:short"}, {"--set", reg.Trusted(), "--clear"}} {
		if code, _, _ := cli(t, registries(bad...)...); code == 0 {
			t.Errorf("registries %v accepted", bad)
		}
	}
}
