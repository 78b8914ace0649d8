package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-cloud/hearth/internal/testsvc"
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
