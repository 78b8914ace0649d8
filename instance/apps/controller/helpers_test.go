package controller

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/registry/manifest"
)

// newController returns a controller in a temporary directory, closed at the end of the test,
// with the unix users it made deleted.
func newController(t testing.TB, cfg Config) *Controller {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		// The apps' users must cross the test's temporary directory to reach theirs.
		if err := os.Chmod(filepath.Dir(dir), 0o711); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Dir = dir
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.grace = 2 * time.Second
	t.Cleanup(func() { cleanup(t, c) })
	return c
}

// cleanup closes c and deletes what it made outside its directory: users, cgroups.
func cleanup(t testing.TB, c *Controller) {
	t.Helper()
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	c.mu.Lock()
	var apps [][2]string
	for _, p := range c.procs {
		apps = append(apps, [2]string{p.instance, p.slug})
	}
	c.mu.Unlock()
	for _, a := range apps {
		if err := c.Remove(a[0], a[1]); err != nil {
			t.Errorf("Remove %s: %v", a, err)
		}
	}
	if c.asRoot {
		if err := deleteUser(context.Background(), userName(c.hash("", "build"))); err != nil {
			t.Errorf("delete the build user: %v", err)
		}
	}
}

// probeApp is testdata/probe, an app reporting what it sees, installed on instance.
func probeApp(t testing.TB, instance string) App {
	t.Helper()
	dir, err := filepath.Abs("testdata/probe")
	if err != nil {
		t.Fatal(err)
	}
	return App{Instance: instance, Slug: "probe", Tree: "probe1", TreeDir: dir,
		Node: &manifest.Node{Start: []string{"node", "server.js"}}}
}

// writeTree writes an app's files in a new directory and returns it.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// serve serves app through c's handler.
func serve(t testing.TB, c *Controller, app App) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(c.Handler(app))
	t.Cleanup(srv.Close)
	return srv
}

// get requests path from srv and returns the status and body.
func get(t testing.TB, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(b)
}

// getJSON requests path, wants 200, and decodes the body into v.
func getJSON(t testing.TB, srv *httptest.Server, path string, v any) {
	t.Helper()
	status, body := get(t, srv, path)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, status, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether process pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex // guards t
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) Add(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
}

// dataSystem is a fake Data System that records the tokens it sees.
type dataSystem struct {
	*httptest.Server
	mu     sync.Mutex // guards tokens
	tokens []string
}

func newDataSystem(t testing.TB) *dataSystem {
	t.Helper()
	d := &dataSystem{}
	d.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		d.tokens = append(d.tokens, r.Header.Get("Authorization"))
		d.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost:
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"ok":true,"id":"v1","rev":"1-a"}`)
		case r.URL.Path == "/whoami":
			_, _ = io.WriteString(w, `{"token":"seen"}`)
		default:
			_, _ = io.WriteString(w, `{"doc_count":7}`)
		}
	}))
	t.Cleanup(d.Close)
	return d
}

func (d *dataSystem) seen() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.tokens...)
}

// env is an App.Env giving the app the fake Data System and a token.
func (d *dataSystem) env(token string) func(context.Context) (map[string]string, error) {
	return func(context.Context) (map[string]string, error) {
		return map[string]string{"HEARTH_URL": d.URL, "HEARTH_TOKEN": token}, nil
	}
}
