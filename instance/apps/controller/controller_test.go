package controller

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/registry/manifest"
)

// The node-hello fixture builds (npm ci) and starts on its first request, answers through
// the proxy, and reaches the Data System with its token.
func TestHelloFirstRequest(t *testing.T) {
	t.Parallel()
	c := newController(t, Config{})
	ds := newDataSystem(t)
	dir, err := filepath.Abs("../../../testdata/apps/node-hello")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, manifest.FileName))
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	app := App{Instance: "alice.example", Slug: m.Slug, Tree: "hello1", TreeDir: dir, Node: m.Node, Env: ds.env("tok-123")}
	srv := serve(t, c, app)

	status, body := get(t, srv, "/")
	if status != http.StatusOK || !strings.Contains(body, "Visits: 7") {
		t.Fatalf("GET /: %d %s", status, body)
	}
	if seen := ds.seen(); len(seen) == 0 || slices.ContainsFunc(seen, func(s string) bool { return s != "Bearer tok-123" }) {
		t.Errorf("the Data System saw the tokens %q, want Bearer tok-123", seen)
	}
	st := c.Status(app.Instance, app.Slug)
	if st.State != StateRunning || st.PID == 0 || !alive(st.PID) {
		t.Errorf("status %+v, want running with a live pid", st)
	}
	if c.asRoot && !strings.HasPrefix(st.User, "hearth-") {
		t.Errorf("runs as user %q, want one of its own", st.User)
	}
	fi, err := os.Stat(filepath.Join(c.buildDir("hello1"), "server.js"))
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("built server.js: %v, %v", fi, err)
	}
	logs, err := c.Logs(app.Instance, app.Slug, 0)
	if err != nil || !strings.Contains(string(logs), "hello: listening on") || !strings.Contains(string(logs), "npm ci --omit=dev --ignore-scripts") {
		t.Errorf("logs: %v\n%s", err, logs)
	}
}

// An idle app stops, and starts again on the next request.
func TestIdleStopThenStartAgain(t *testing.T) {
	t.Parallel()
	c := newController(t, Config{IdleTimeout: 200 * time.Millisecond})
	app := probeApp(t, "idle.example")
	srv := serve(t, c, app)
	if status, body := get(t, srv, "/"); status != http.StatusOK {
		t.Fatalf("GET /: %d %s", status, body)
	}
	first := c.Status(app.Instance, app.Slug).PID
	waitFor(t, "the idle app to stop", func() bool { return c.Status(app.Instance, app.Slug).State == StateStopped })
	if alive(first) {
		t.Errorf("pid %d still runs after the idle stop", first)
	}
	if status, body := get(t, srv, "/"); status != http.StatusOK || body != "probe ok\n" {
		t.Fatalf("GET / after the idle stop: %d %s", status, body)
	}
	if st := c.Status(app.Instance, app.Slug); st.State != StateRunning || st.PID == 0 || st.Restarts != 0 {
		t.Errorf("status %+v, want running, no restart counted", st)
	}
	logs, _ := c.Logs(app.Instance, app.Slug, 0)
	if !strings.Contains(string(logs), "no request for 200ms: stopping") {
		t.Errorf("logs do not tell the idle stop:\n%s", logs)
	}
}

// An app whose start command exits gets a clear 502 for the request that started it, 503
// while backing off, and its status and logs say why.
func TestCrashAtStart(t *testing.T) {
	t.Parallel()
	c := newController(t, Config{})
	clock := newFakeClock()
	c.now = clock.Now
	tree := writeTree(t, map[string]string{"crash.js": `console.error("boom: no configuration found"); process.exit(1);`})
	app := App{Instance: "crash.example", Slug: "crashy", Tree: "crash1", TreeDir: tree,
		Node: &manifest.Node{Start: []string{"node", "crash.js"}}}
	srv := serve(t, c, app)

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
	req.Header.Set("Accept", "text/html")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page := readAll(t, resp)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(page, "the app failed to start: exit status 1; its logs are on your home page") ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("first request: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), page)
	}
	st := c.Status(app.Instance, app.Slug)
	if st.State != StateFailed || st.LastExit != "exit status 1" || !strings.Contains(st.LastError, "exit status 1") ||
		!st.RetryAt.Equal(clock.Now().Add(time.Second)) {
		t.Errorf("status %+v", st)
	}
	logs, _ := c.Logs(app.Instance, app.Slug, 0)
	if !strings.Contains(string(logs), "boom: no configuration found") {
		t.Errorf("logs miss the app's error:\n%s", logs)
	}

	resp, err = srv.Client().Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	var answer struct{ Error, Reason string }
	if err := json.Unmarshal([]byte(readAll(t, resp)), &answer); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" ||
		answer.Error != "app_unavailable" || !strings.Contains(answer.Reason, "exit status 1") {
		t.Errorf("while backing off: %d Retry-After %q %+v", resp.StatusCode, resp.Header.Get("Retry-After"), answer)
	}

	clock.Add(time.Second)
	if status, _ := get(t, srv, "/"); status != http.StatusBadGateway {
		t.Errorf("after the back-off: %d, want another attempt failing with 502", status)
	}
	if st := c.Status(app.Instance, app.Slug); st.Restarts != 1 || !st.RetryAt.Equal(clock.Now().Add(2*time.Second)) {
		t.Errorf("after a second failure: %+v, want 1 restart and a back-off of 2s", st)
	}
}

// An app that never listens fails after StartTimeout, and is killed.
func TestStartTimeout(t *testing.T) {
	t.Parallel()
	c := newController(t, Config{StartTimeout: 300 * time.Millisecond})
	tree := writeTree(t, map[string]string{"hang.js": `setInterval(() => {}, 1000);`})
	app := App{Instance: "hang.example", Slug: "hang", Tree: "hang1", TreeDir: tree,
		Node: &manifest.Node{Start: []string{"node", "hang.js"}}}
	status, body := get(t, serve(t, c, app), "/")
	if status != http.StatusBadGateway || !strings.Contains(body, "did not listen on its socket (HEARTH_SOCKET) within 300ms") {
		t.Fatalf("GET /: %d %s", status, body)
	}
	if st := c.Status(app.Instance, app.Slug); st.State != StateFailed || st.LastExit != "signal: killed" {
		t.Errorf("status %+v", st)
	}
}

// A crashed app restarts on a request after a back-off that doubles, and starts over after
// a long run.
func TestCrashRestartWithBackoff(t *testing.T) {
	t.Parallel()
	c := newController(t, Config{})
	clock := newFakeClock()
	c.now = clock.Now
	app := probeApp(t, "backoff.example")
	srv := serve(t, c, app)
	crash := func(wantBackoff time.Duration) {
		t.Helper()
		if status, body := get(t, srv, "/crash"); status != http.StatusOK || body != "bye\n" {
			t.Fatalf("GET /crash: %d %s", status, body)
		}
		waitFor(t, "the crash to be seen", func() bool { return c.Status(app.Instance, app.Slug).State == StateCrashed })
		st := c.Status(app.Instance, app.Slug)
		if st.LastExit != "exit status 3" || !strings.Contains(st.LastError, "stopped unexpectedly: exit status 3") ||
			!st.RetryAt.Equal(clock.Now().Add(wantBackoff)) {
			t.Fatalf("after a crash: %+v, want a back-off of %s", st, wantBackoff)
		}
	}
	expect := func(want int, restarts int) {
		t.Helper()
		if status, body := get(t, srv, "/"); status != want {
			t.Fatalf("GET /: %d %s, want %d", status, body, want)
		}
		if st := c.Status(app.Instance, app.Slug); st.Restarts != restarts {
			t.Fatalf("restarts %d, want %d", st.Restarts, restarts)
		}
	}
	expect(http.StatusOK, 0)
	crash(time.Second)
	expect(http.StatusServiceUnavailable, 0)
	clock.Add(time.Second)
	expect(http.StatusOK, 1)
	crash(2 * time.Second)
	clock.Add(time.Second)
	expect(http.StatusServiceUnavailable, 1)
	clock.Add(time.Second)
	expect(http.StatusOK, 2)
	clock.Add(2 * time.Minute) // a long run: the back-off starts over
	crash(time.Second)
}

// Stop stops the app; the next request starts it again; a new tree replaces the old one;
// Remove deletes its files.
func TestStopUpdateRemove(t *testing.T) {
	t.Parallel()
	c := newController(t, Config{})
	app := probeApp(t, "update.example")
	srv := serve(t, c, app)
	if status, _ := get(t, srv, "/"); status != http.StatusOK {
		t.Fatal(status)
	}
	pid := c.Status(app.Instance, app.Slug).PID
	if err := c.Stop(t.Context(), app.Instance, app.Slug); err != nil {
		t.Fatal(err)
	}
	if st := c.Status(app.Instance, app.Slug); st.State != StateStopped || alive(pid) {
		t.Fatalf("after Stop: %+v, pid %d alive %v", st, pid, alive(pid))
	}
	if status, _ := get(t, srv, "/"); status != http.StatusOK {
		t.Fatalf("after Stop: %d", status)
	}

	v2 := app
	v2.Tree = "probe2"
	var id struct{ Cwd string }
	getJSON(t, serve(t, c, v2), "/id", &id)
	if id.Cwd != c.buildDir("probe2") {
		t.Errorf("the new version runs in %s, want %s", id.Cwd, c.buildDir("probe2"))
	}

	st := c.Status(app.Instance, app.Slug)
	if err := c.Remove(app.Instance, app.Slug); err != nil {
		t.Fatal(err)
	}
	appID := c.hash(app.Instance, app.Slug)
	for _, p := range []string{c.path("homes", appID), filepath.Dir(c.logPath(appID))} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s remains after Remove: %v", p, err)
		}
	}
	if alive(st.PID) {
		t.Errorf("pid %d remains after Remove", st.PID)
	}
	if c.asRoot {
		if _, err := lookupUser(st.User); err == nil {
			t.Errorf("user %s remains after Remove", st.User)
		}
	}
}

// An app that ignores SIGTERM is killed, with its whole process group, after the grace period.
func TestStopKillsAfterGrace(t *testing.T) {
	t.Parallel()
	c := newController(t, Config{})
	c.grace = 100 * time.Millisecond
	tree := writeTree(t, map[string]string{"stubborn.js": `
const { spawn } = require("child_process");
const child = spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: "ignore" });
process.on("SIGTERM", () => console.log("stubborn: ignoring SIGTERM"));
require("http").createServer((req, res) => res.end(String(child.pid))).listen(process.env.HEARTH_SOCKET);`})
	app := App{Instance: "stubborn.example", Slug: "stubborn", Tree: "stubborn1", TreeDir: tree,
		Node: &manifest.Node{Start: []string{"node", "stubborn.js"}}}
	status, body := get(t, serve(t, c, app), "/")
	if status != http.StatusOK {
		t.Fatalf("GET /: %d %s", status, body)
	}
	child, _ := strconv.Atoi(body)
	pid := c.Status(app.Instance, app.Slug).PID
	if err := c.Stop(t.Context(), app.Instance, app.Slug); err != nil {
		t.Fatal(err)
	}
	st := c.Status(app.Instance, app.Slug)
	if st.State != StateStopped || st.LastExit != "signal: killed" || alive(pid) || alive(child) {
		t.Errorf("after Stop: %+v; app alive %v, its child alive %v", st, alive(pid), alive(child))
	}
	if logs, _ := c.Logs(app.Instance, app.Slug, 0); !strings.Contains(string(logs), "stubborn: ignoring SIGTERM") {
		t.Errorf("logs:\n%s", logs)
	}
}

// The proxy sets X-Forwarded-* (and drops the client's), keeps the Host, and streams.
func TestProxyHeadersAndStreaming(t *testing.T) {
	t.Parallel()
	c := newController(t, Config{})
	srv := serve(t, c, probeApp(t, "proxy.example"))
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/headers", nil)
	req.Header.Set("X-Forwarded-For", "6.6.6.6")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]string
	if err := json.Unmarshal([]byte(readAll(t, resp)), &h); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	if h["host"] != host || h["x-forwarded-host"] != host || h["x-forwarded-proto"] != "http" || h["x-forwarded-for"] != "127.0.0.1" {
		t.Errorf("headers the app saw: %v", h)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/stream", nil)
	resp, err = srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	if line, err := r.ReadString('\n'); err != nil || line != "first\n" {
		t.Fatalf("first line of a stream still open: %q, %v", line, err)
	}
	if st := c.Status("proxy.example", "probe"); st.Active != 1 {
		t.Errorf("active %d during a stream, want 1", st.Active)
	}
	if status, _ := get(t, srv, "/stream-end"); status != http.StatusOK {
		t.Fatal(status)
	}
	if line, err := r.ReadString('\n'); err != nil || line != "last\n" {
		t.Fatalf("last line: %q, %v", line, err)
	}
}

// A start command that does not exist, and an app without one, get clear answers.
func TestBadApps(t *testing.T) {
	t.Parallel()
	c := newController(t, Config{})
	tree := writeTree(t, map[string]string{"x.js": ""})
	missing := App{Instance: "bad.example", Slug: "missing", Tree: "bad1", TreeDir: tree,
		Node: &manifest.Node{Start: []string{"no-such-command"}}}
	if status, body := get(t, serve(t, c, missing), "/"); status != http.StatusBadGateway ||
		!strings.Contains(body, `the app's start command \"no-such-command\" is not installed on this server`) {
		t.Errorf("missing command: %d %s", status, body)
	}
	noStart := App{Instance: "bad.example", Slug: "nostart", Tree: "bad1", TreeDir: tree}
	if status, body := get(t, serve(t, c, noStart), "/"); status != http.StatusInternalServerError ||
		!strings.Contains(body, "no start command") {
		t.Errorf("no start command: %d %s", status, body)
	}
}

// Close stops every app and leaves no process behind, and refuses requests after.
func TestCloseKillsEverything(t *testing.T) {
	t.Parallel()
	c := newController(t, Config{})
	var pids []int
	var srvs []string
	for _, inst := range []string{"close-a.example", "close-b.example"} {
		srv := serve(t, c, probeApp(t, inst))
		var id struct{ PID int }
		getJSON(t, srv, "/id", &id)
		pids = append(pids, id.PID)
		srvs = append(srvs, srv.URL)
		if c.asRoot { // a child in a session of its own escapes the process group, not the user
			var child struct{ PID int }
			getJSON(t, srv, "/spawn", &child)
			pids = append(pids, child.PID)
		}
	}
	for _, pid := range pids {
		if !alive(pid) {
			t.Fatalf("pid %d is not running before Close", pid)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("pid %d survived Close", pid)
		}
	}
	resp, err := http.Get(srvs[0] + "/")
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("after Close: %d %s", resp.StatusCode, body)
	}
}

// An app runs as the runtime's user when the runtime is not root.
func TestRuntimeUser(t *testing.T) {
	t.Parallel()
	c := newController(t, Config{})
	c.asRoot = false
	app := probeApp(t, "self.example")
	var id struct{ UID int }
	getJSON(t, serve(t, c, app), "/id", &id)
	st := c.Status(app.Instance, app.Slug)
	if id.UID != os.Geteuid() || st.User != "" || slices.ContainsFunc(st.Limits, func(s string) bool { return strings.Contains(s, "RLIMIT_NPROC") }) {
		t.Errorf("uid %d, status %+v", id.UID, st)
	}
}

// New refuses a directory too deep for the apps' socket paths.
func TestSocketPathTooLong(t *testing.T) {
	t.Parallel()
	_, err := New(Config{Dir: filepath.Join(t.TempDir(), strings.Repeat("d", 100))})
	if err == nil || !strings.Contains(err.Error(), "more than the 107 unix sockets allow") {
		t.Fatalf("New: %v", err)
	}
}

func readAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := bufio.NewReader(resp.Body).WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
