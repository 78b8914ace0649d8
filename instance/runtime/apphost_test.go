package runtime_test

import (
	"context"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-cloud/hearth/instance/apps"
	"github.com/hearth-cloud/hearth/instance/runtime"
	"github.com/hearth-cloud/hearth/internal/testsvc"
)

// fixtureRepo turns a fixture app of testdata/apps into a Git repository served over HTTP.
func fixtureRepo(t *testing.T, name string) string {
	t.Helper()
	root := filepath.Join("..", "..", "testdata", "apps", name)
	files := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(root, path)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	repo := testsvc.GitRepo(t, files, "v1.0.0")
	return testsvc.GitHTTP(t, filepath.Dir(repo)) + "/" + filepath.Base(repo)
}

func TestStaticAppOnItsOrigin(t *testing.T) {
	h := start(t, runtime.Config{AllowPrivateGit: true})
	h.addInstance(t, "alice.test")
	ctx := context.Background()
	plan, err := h.admin.PrepareApp(ctx, "alice.test", apps.Source{URL: fixtureRepo(t, "static-notes"), Ref: "v1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.admin.AcceptPlan(ctx, "alice.test", plan.ID); err != nil {
		t.Fatal(err)
	}
	noRedirect := &http.Client{Transport: h.client.Transport, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	get := func(url string) (*http.Response, string) {
		t.Helper()
		resp, err := noRedirect.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	// A public route is served to anyone, with the page's configuration and a CSP.
	resp, body := get("http://notes.alice.test/public/")
	if resp.StatusCode != 200 || !strings.Contains(body, "window.hearth") || resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("public page: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if resp.Header.Get("Set-Cookie") != "" {
		t.Error("a cookie was set on the app's origin")
	}
	// The rest needs the owner: without a session, off to the instance's login.
	resp, _ = get("http://notes.alice.test/")
	if loc := resp.Header.Get("Location"); resp.StatusCode != 302 || !strings.HasPrefix(loc, "http://alice.test/apps/notes/open?next=") {
		t.Errorf("private page without a session: %d %q", resp.StatusCode, loc)
	}
	if resp, _ := get("http://ghost.alice.test/"); resp.StatusCode != 404 {
		t.Errorf("an app not installed: %d", resp.StatusCode)
	}
	if resp, _ := get("http://notes.nobody.test/"); resp.StatusCode != 404 {
		t.Errorf("an app of an unknown instance: %d", resp.StatusCode)
	}
}
