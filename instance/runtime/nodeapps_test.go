package runtime_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hearth-cloud/hearth/instance/apps"
	"github.com/hearth-cloud/hearth/instance/runtime"
	"github.com/hearth-cloud/hearth/internal/testsvc"
)

// installViaAdmin installs the app at repo on domain, accepting its permissions.
func installViaAdmin(t testing.TB, h *harness, domain, repo string) error {
	t.Helper()
	ctx := context.Background()
	plan, err := h.admin.PrepareApp(ctx, domain, apps.Source{URL: repo, Ref: "v1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.admin.AcceptPlan(ctx, domain, plan.ID)
	return err
}

// openApp runs the hand-off that gives b a session on the app's origin, and returns the page.
func (b *browser) openApp(appURL string) page {
	b.t.Helper()
	return b.follow(b.get(appURL), appURL)
}

func TestNodeAppBehindTheProxy(t *testing.T) {
	h := start(t, runtime.Config{AllowPrivateGit: true})
	h.addInstance(t, "alice.test")
	b := onboard(t, h, "alice.test")
	if err := installViaAdmin(t, h, "alice.test", fixtureRepo(t, "node-hello")); err != nil {
		t.Fatalf("install node-hello: %v", err)
	}

	// Without a session: scripts get 401, page loads go to the hand-off.
	anon := h.browser(t)
	req, _ := http.NewRequest(http.MethodGet, "http://hello.alice.test/", nil)
	req.Header.Set("Sec-Fetch-Mode", "cors")
	req.Header.Set("Sec-Fetch-Dest", "empty")
	if p := anon.send(req); p.status != http.StatusUnauthorized {
		t.Errorf("fetch without a session: %d", p.status)
	}
	if p := anon.get("http://hello.alice.test/"); p.status != http.StatusFound || !strings.Contains(p.location(), "/apps/hello/open") {
		t.Errorf("page without a session: %d %q", p.status, p.location())
	}

	// The owner opens it: the app starts on demand, records the visit in the Data System with
	// its own token (reaching the runtime by address) and shows the count.
	p := b.openApp("http://hello.alice.test/")
	if p.status != 200 || !strings.Contains(p.body, "Hello from Node.js") || !strings.Contains(p.body, "Visits: 1<") {
		t.Fatalf("node app page: %d %s", p.status, p.body)
	}
	if p := b.get("http://hello.alice.test/"); !strings.Contains(p.body, "Visits: 2<") {
		t.Errorf("second visit: %s", p.body)
	}
	tok := h.token(t, "alice.test", "io.hearth.hello.visits")
	if st, body := h.do(t, "GET", "http://alice.test/data/io.hearth.hello.visits/", tok, nil); st != 200 || body["doc_count"] != float64(2) {
		t.Errorf("visits stored: %d %v", st, body)
	}
	// The owner sees its state and logs.
	details := b.get("http://alice.test/apps/hello")
	if !strings.Contains(details.body, "state-running") || !strings.Contains(details.body, "hello: listening on") {
		t.Errorf("details of a running node app: %s", details.body)
	}
	// Remove with its data: the process stops, the data goes.
	if p := b.post("http://alice.test/apps/hello/remove", details, url.Values{"delete_data": {"1"}}); p.status != 200 {
		t.Fatalf("remove: %d %s", p.status, p.body)
	}
	if st, body := h.do(t, "GET", "http://alice.test/data/io.hearth.hello.visits/", tok, nil); st != 200 || body["doc_count"] != float64(0) {
		t.Errorf("visits after removing with data: %d %v", st, body)
	}
}

func TestNodeAppThatCrashesAtStart(t *testing.T) {
	h := start(t, runtime.Config{AllowPrivateGit: true})
	h.addInstance(t, "alice.test")
	b := onboard(t, h, "alice.test")
	repo := testsvc.GitRepo(t, map[string]string{
		"hearth.json": `{"slug": "crash", "name": "Crash", "version": "1.0.0", "kind": "node",
			"node": {"start": ["node", "crash.js"], "install": "install"}}`,
		"package.json": `{"name": "crash", "version": "1.0.0", "private": true}`,
		"crash.js":     `console.error("crash: no configuration found"); process.exit(3);`,
	}, "v1.0.0")
	url := serveRepo(t, repo)
	if err := installViaAdmin(t, h, "alice.test", url); err != nil {
		t.Fatalf("install: %v", err)
	}
	p := b.openApp("http://crash.alice.test/")
	if p.status != http.StatusBadGateway || !strings.Contains(p.body, "failed to start") {
		t.Fatalf("a crashing app: %d %s", p.status, p.body)
	}
	details := b.get("http://alice.test/apps/crash")
	if !regexp.MustCompile(`state-(failed|crashed)`).MatchString(details.body) || !strings.Contains(details.body, "no configuration found") {
		t.Errorf("details of a crashing app: %s", details.body)
	}
	// The rest of the instance is unharmed.
	if p := b.get("http://alice.test/"); p.status != 200 || !strings.Contains(p.body, `id="open-crash"`) {
		t.Errorf("home with a crashing app: %d", p.status)
	}
}

// TestNodeAppCannotReadTheRuntimesData runs a hostile node app that tries to read the runtime's
// secrets and databases: as root, apps run as users of their own and are refused.
func TestNodeAppCannotReadTheRuntimesData(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("apps run as the runtime's own user unless it runs as root")
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	if err := os.Chmod(filepath.Dir(dataDir), 0o711); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(filepath.Dir(dataDir)), 0o711); err != nil {
		t.Fatal(err)
	}
	h := start(t, runtime.Config{AllowPrivateGit: true, DataDir: dataDir})
	h.addInstance(t, "alice.test")
	b := onboard(t, h, "alice.test")
	repo := testsvc.GitRepo(t, map[string]string{
		"hearth.json": `{"slug": "probe", "name": "Probe", "version": "1.0.0", "kind": "node",
			"node": {"start": ["node", "probe.js"], "install": "install"}}`,
		"package.json": `{"name": "probe", "version": "1.0.0", "private": true}`,
		"probe.js": `const fs = require("fs"), http = require("http");
http.createServer((req, res) => {
  const p = new URL(req.url, "http://x").searchParams.get("p");
  let out;
  try { out = "READ " + (fs.statSync(p).isDirectory() ? fs.readdirSync(p).join(",") : fs.readFileSync(p, "utf8")); }
  catch (e) { out = "ERR " + e.code; }
  res.end(out);
}).listen(process.env.PORT);`,
	}, "v1.0.0")
	if err := installViaAdmin(t, h, "alice.test", serveRepo(t, repo)); err != nil {
		t.Fatalf("install: %v", err)
	}
	b.openApp("http://probe.alice.test/?p=/")
	for _, p := range []string{
		filepath.Join(dataDir, "admin.secret"),
		filepath.Join(dataDir, "dbs"),
		filepath.Join(dataDir, "apps", "trees"),
		dataDir,
	} {
		got := b.get("http://probe.alice.test/?p=" + url.QueryEscape(p))
		if got.status != 200 || !strings.HasPrefix(got.body, "ERR EACCES") {
			t.Errorf("the app read %s: %d %q", p, got.status, got.body)
		}
	}
}

// TestNodeAppWebSocketAndCookies opens a WebSocket to a node app through the runtime, and checks
// what reaches the app: its own cookies, never the session's.
func TestNodeAppWebSocketAndCookies(t *testing.T) {
	h := start(t, runtime.Config{AllowPrivateGit: true})
	h.addInstance(t, "alice.test")
	b := onboard(t, h, "alice.test")
	installProbe(t, h, "alice.test")
	if p := b.openApp("http://probe.alice.test/"); p.status != 200 || !strings.Contains(p.body, "probe ok") {
		t.Fatalf("open: %d %s", p.status, p.body)
	}
	u, _ := url.Parse("http://probe.alice.test/")
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: "theme", Value: "dark"}})
	p := b.get("http://probe.alice.test/headers")
	if !strings.Contains(p.body, "theme=dark") || strings.Contains(p.body, "hearth_app") {
		t.Errorf("cookies reaching the app: %s", p.body)
	}

	var cookie string
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "hearth_app" {
			cookie = c.Name + "=" + c.Value
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	hdr := http.Header{"Cookie": {cookie}}
	conn, resp, err := websocket.Dial(ctx, "ws://probe.alice.test/echo", &websocket.DialOptions{HTTPClient: h.client, HTTPHeader: hdr, Host: "probe.alice.test"})
	if err != nil {
		t.Fatalf("WebSocket through the runtime: %v (%v)", err, resp)
	}
	defer conn.CloseNow()
	if err := conn.Write(ctx, websocket.MessageText, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := conn.Read(ctx); err != nil || string(msg) != "hello" {
		t.Fatalf("echo: %q %v", msg, err)
	}
	// Without the session, no WebSocket.
	if _, resp, err := websocket.Dial(ctx, "ws://probe.alice.test/echo", &websocket.DialOptions{HTTPClient: h.client}); err == nil || resp == nil || resp.StatusCode == http.StatusSwitchingProtocols {
		t.Errorf("WebSocket without a session: %v %v", resp, err)
	}
}

// installProbe installs the controller tests' probe app (slug probe) on domain.
func installProbe(t *testing.T, h *harness, domain string) {
	t.Helper()
	files := map[string]string{"hearth.json": `{"slug": "probe", "name": "Probe", "version": "1.0.0", "kind": "node",
		"node": {"start": ["node", "server.js"]}}`}
	for _, name := range []string{"server.js", "package.json", "package-lock.json"} {
		raw, err := os.ReadFile(filepath.Join("..", "apps", "controller", "testdata", "probe", name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(raw)
	}
	repo := testsvc.GitRepo(t, files, "v1.0.0")
	if err := installViaAdmin(t, h, domain, serveRepo(t, repo)); err != nil {
		t.Fatal(err)
	}
}
