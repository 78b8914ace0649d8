package runtime_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hearth-cloud/hearth/instance/runtime"
	"github.com/hearth-cloud/hearth/internal/testsvc"
)

// fixtureRepo turns a fixture app of testdata/apps into a Git repository served over HTTP.
func fixtureRepo(t testing.TB, name string) string {
	t.Helper()
	return serveRepo(t, testsvc.GitRepo(t, fixtureFiles(t, name), "v1.0.0"))
}

// serveRepo serves the Git repository at path over HTTP, and returns its URL.
func serveRepo(t testing.TB, path string) string {
	t.Helper()
	return testsvc.GitHTTP(t, filepath.Dir(path)) + "/" + filepath.Base(path)
}

// fixtureFiles reads a fixture app of testdata/apps: its files by slash-separated path.
func fixtureFiles(t testing.TB, name string) map[string]string {
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
	return files
}

func TestStaticAppOnItsOrigin(t *testing.T) {
	h := start(t, runtime.Config{AllowPrivateGit: true})
	h.addInstance(t, "alice.test")
	if err := installViaAdmin(t, h, "alice.test", fixtureRepo(t, "static-notes")); err != nil {
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

func TestInstallAndOpenAnAppAsTheOwner(t *testing.T) {
	h := start(t, runtime.Config{AllowPrivateGit: true})
	h.addInstance(t, "alice.test")
	h.addInstance(t, "bob.test")
	b := onboard(t, h, "alice.test")
	repo := fixtureRepo(t, "static-notes")

	// A hostile URL ends in a message on the home page; nothing is installed.
	home := b.get("http://alice.test/")
	p := b.post("http://alice.test/apps/install", home, url.Values{"url": {"file:///etc"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="error"`) {
		t.Fatalf("install from file://: %d %s", p.status, p.body)
	}
	// The prompt shows what the app asks for; nothing is installed before the owner accepts.
	prompt := b.post("http://alice.test/apps/install", home, url.Values{"url": {repo}, "ref": {"v1.0.0"}})
	if prompt.status != 200 || !strings.Contains(prompt.body, "io.hearth.notes") || !strings.Contains(prompt.body, "To list your notes") {
		t.Fatalf("install prompt: %d %s", prompt.status, prompt.body)
	}
	if p := b.get("http://alice.test/"); strings.Contains(p.body, `id="open-notes"`) {
		t.Fatal("the app shows as installed before the owner accepted")
	}
	accept := regexp.MustCompile(`action="(/apps/plans/[^"]+)"`).FindStringSubmatch(prompt.body)[1]
	p = b.post("http://alice.test"+accept, prompt, url.Values{})
	if p.status != 200 || !strings.Contains(p.body, "Notes is installed") || !strings.Contains(p.body, `href="http://notes.alice.test/"`) {
		t.Fatalf("accept: %d %s", p.status, p.body)
	}
	if p := b.get("http://alice.test/apps/notes/icon"); p.status != 200 || p.header.Get("Content-Type") != "image/svg+xml" ||
		!strings.Contains(p.header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("icon: %d %v", p.status, p.header)
	}

	// Opening the app: its origin sends the browser through the instance, which hands it a
	// one-time code; the app's origin turns it into its own session.
	p = b.get("http://notes.alice.test/index.html?x=1")
	if p.status != http.StatusFound || !strings.HasPrefix(p.location(), "http://alice.test/apps/notes/open?next=") {
		t.Fatalf("app without a session: %d %q", p.status, p.location())
	}
	p = b.get(p.location())
	handoff := p.location()
	if p.status != http.StatusFound || !strings.HasPrefix(handoff, "http://notes.alice.test/.hearth/session?code=") {
		t.Fatalf("open: %d %q", p.status, handoff)
	}
	p = b.get(handoff)
	setCookie := p.header.Get("Set-Cookie")
	if p.status != http.StatusFound || p.location() != "/index.html?x=1" || !strings.Contains(setCookie, "hearth_app=") ||
		!strings.Contains(setCookie, "HttpOnly") || strings.Contains(strings.ToLower(setCookie), "domain=") {
		t.Fatalf("hand-off: %d %q %q", p.status, p.location(), setCookie)
	}
	if p := b.get(handoff); p.status != http.StatusForbidden {
		t.Errorf("a hand-off code used twice: %d", p.status)
	}
	page := b.get("http://notes.alice.test/index.html?x=1")
	tok := regexp.MustCompile(`"token":"([^"]+)"`).FindStringSubmatch(page.body)
	if page.status != 200 || tok == nil {
		t.Fatalf("the app's page with its session: %d %s", page.status, page.body)
	}
	// The page's token opens exactly the app's permissions, on this instance only.
	if st, _ := h.do(t, "POST", "http://alice.test/data/io.hearth.notes/", tok[1], map[string]any{"title": "hi"}); st != 201 {
		t.Errorf("write a note with the app's token: %d", st)
	}
	if st, _ := h.do(t, "GET", "http://alice.test/data/io.hearth.contacts/_all_docs", tok[1], nil); st != 403 {
		t.Errorf("read another doctype with the app's token: %d", st)
	}
	if st, _ := h.do(t, "GET", "http://bob.test/data/io.hearth.notes/_all_docs", tok[1], nil); st != 401 {
		t.Errorf("read another instance with the app's token: %d", st)
	}
	if st, _ := h.do(t, "GET", "http://alice.test/data/io.hearth.apps/_all_docs", tok[1], nil); st != 403 {
		t.Errorf("read the app records with the app's token: %d", st)
	}
	// Renewal: only from the app's own origin, only with the owner's session.
	if p := b.get("http://alice.test/apps/notes/token", "Origin", "http://notes.alice.test"); p.status != 200 ||
		!strings.Contains(p.body, `"token"`) || p.header.Get("Access-Control-Allow-Origin") != "http://notes.alice.test" {
		t.Errorf("renew from the app's origin: %d %s %v", p.status, p.body, p.header)
	}
	if p := b.get("http://alice.test/apps/notes/token", "Origin", "http://evil.alice.test"); p.status != 401 || strings.Contains(p.body, `"token"`) {
		t.Errorf("renew from another origin: %d %s", p.status, p.body)
	}
	if p := h.browser(t).get("http://alice.test/apps/notes/token", "Origin", "http://notes.alice.test"); p.status != 401 {
		t.Errorf("renew without a session: %d", p.status)
	}
	// CORS preflight of the Data System from the app's origin.
	req, _ := http.NewRequest(http.MethodOptions, "http://alice.test/data/io.hearth.notes/", nil)
	req.Header.Set("Origin", "http://notes.alice.test")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
	if p := b.send(req); p.status != 204 || !strings.Contains(p.header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", p.status, p.header)
	}

	// Logging out of the instance ends the app's session too.
	home = b.get("http://alice.test/")
	if p := b.post("http://alice.test/logout", home, url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", p.status)
	}
	if p := b.get("http://notes.alice.test/index.html"); p.status != http.StatusFound {
		t.Errorf("app page after logout: %d", p.status)
	}

	// Remove, keeping the data.
	b = h.browser(t)
	login := b.get("http://alice.test/login")
	b.post("http://alice.test/login", login, url.Values{"passphrase": {passphrase}})
	details := b.get("http://alice.test/apps/notes")
	if details.status != 200 || !strings.Contains(details.body, `id="remove"`) {
		t.Fatalf("details: %d %s", details.status, details.body)
	}
	if p := b.post("http://alice.test/apps/notes/remove", details, url.Values{}); p.status != 200 || !strings.Contains(p.body, "is removed") {
		t.Fatalf("remove: %d %s", p.status, p.body)
	}
	if p := b.get("http://notes.alice.test/"); p.status != 404 {
		t.Errorf("removed app's origin: %d", p.status)
	}
	if st, _ := h.do(t, "GET", "http://alice.test/data/io.hearth.notes/_all_docs", tok[1], nil); st != 401 {
		t.Errorf("the removed app's token still reads: %d", st)
	}
	admTok := h.token(t, "alice.test", "io.hearth.notes")
	if st, body := h.do(t, "GET", "http://alice.test/data/io.hearth.notes/", admTok, nil); st != 200 || body["doc_count"] != float64(1) {
		t.Errorf("the notes after removing the app: %d %v", st, body)
	}
}

func TestUpdateAskingForMoreWaitsForTheOwner(t *testing.T) {
	h := start(t, runtime.Config{AllowPrivateGit: true})
	h.addInstance(t, "alice.test")
	b := onboard(t, h, "alice.test")
	manifest := func(version, perms string) string {
		return `{"slug": "memo", "name": "Memo", "version": "` + version + `", "kind": "static", "permissions": {` + perms + `}}`
	}
	notes := `"notes": {"doctype": "io.hearth.notes", "verbs": ["GET"], "description": "To read your notes."}`
	repo := testsvc.GitRepo(t, map[string]string{"hearth.json": manifest("1.0.0", notes), "index.html": "v1"}, "v1.0.0")
	src := serveRepo(t, repo)
	if err := installViaAdmin(t, h, "alice.test", src); err != nil {
		t.Fatal(err)
	}
	testsvc.GitCommit(t, repo, map[string]string{"hearth.json": manifest("2.0.0", notes+`, "contacts": {"doctype": "io.hearth.contacts", "verbs": ["GET"], "description": "To name who wrote a note."}`), "index.html": "v2"}, "v2.0.0")

	details := b.get("http://alice.test/apps/memo")
	prompt := b.post("http://alice.test/apps/memo/update", details, url.Values{"ref": {"v2.0.0"}})
	if prompt.status != 200 || !strings.Contains(prompt.body, "Update Memo to 2.0.0") || !strings.Contains(prompt.body, `class="new"`) ||
		!strings.Contains(prompt.body, "To name who wrote a note") {
		t.Fatalf("update prompt: %d %s", prompt.status, prompt.body)
	}
	// Meanwhile the installed version runs, and the home page says an update waits.
	if p := b.get("http://alice.test/"); !strings.Contains(p.body, "update waiting for you") || !strings.Contains(p.body, "1.0.0") {
		t.Errorf("home while the update waits: %s", p.body)
	}
	accept := regexp.MustCompile(`action="(/apps/plans/[^"]+)"`).FindStringSubmatch(prompt.body)[1]
	if p := b.post("http://alice.test"+accept, prompt, url.Values{}); p.status != 200 || !strings.Contains(p.body, "2.0.0") {
		t.Fatalf("accept the update: %d %s", p.status, p.body)
	}
	if p := b.openApp("http://memo.alice.test/"); p.status != 200 || !strings.Contains(p.body, "v2") {
		t.Errorf("the app after the update: %d %s", p.status, p.body)
	}
}

func TestFlatAppOrigins(t *testing.T) {
	h := start(t, runtime.Config{AllowPrivateGit: true, FlatAppsDomain: "example.test"})
	h.addInstance(t, "alice.example.test")
	b := onboard(t, h, "alice.example.test")
	if err := installViaAdmin(t, h, "alice.example.test", fixtureRepo(t, "static-notes")); err != nil {
		t.Fatal(err)
	}
	if p := b.get("http://alice.example.test/"); !strings.Contains(p.body, `href="http://alice-notes.example.test/"`) {
		t.Errorf("home links the app on its flat origin: %s", p.body)
	}
	if p := b.openApp("http://alice-notes.example.test/"); p.status != 200 || !strings.Contains(p.body, "window.hearth") {
		t.Errorf("app on its flat origin: %d %s", p.status, p.body)
	}
}
