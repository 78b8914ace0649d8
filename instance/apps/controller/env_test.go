package controller

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The app's environment holds what it needs and nothing of the runtime's; the token from
// App.Env reaches the Data System; App.Env cannot move the socket.
func TestEnvironment(t *testing.T) {
	t.Setenv("HEARTH_TEST_SECRET", "s3cret") // not parallel: t.Setenv
	c := newController(t, Config{})
	ds := newDataSystem(t)
	app := probeApp(t, "env.example")
	app.Env = func(context.Context) (map[string]string, error) {
		return map[string]string{"HEARTH_URL": ds.URL, "HEARTH_TOKEN": "tok-abc", "HEARTH_SOCKET": "/tmp/elsewhere"}, nil
	}
	srv := serve(t, c, app)
	var env map[string]string
	getJSON(t, srv, "/env", &env)
	allowed := []string{"PATH", "HOME", "TMPDIR", "NODE_ENV", "HEARTH_SOCKET", "PORT", "HEARTH_DATA_DIR",
		"HEARTH_URL", "HEARTH_TOKEN", "NODE_OPTIONS"}
	for k, v := range env {
		if !slices.Contains(allowed, k) || strings.Contains(v, "s3cret") {
			t.Errorf("the app sees %s=%s", k, v)
		}
	}
	id := c.hash(app.Instance, app.Slug)
	home := c.path("homes", id)
	want := map[string]string{
		"HOME": home, "TMPDIR": filepath.Join(home, "tmp"), "HEARTH_DATA_DIR": filepath.Join(home, "data"),
		"HEARTH_SOCKET": c.socketPath(id), "PORT": c.socketPath(id), "NODE_ENV": "production",
		"HEARTH_URL": ds.URL, "HEARTH_TOKEN": "tok-abc",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s=%q, want %q", k, env[k], v)
		}
	}
	if os.Getenv("HEARTH_TEST_SECRET") != "s3cret" {
		t.Fatal("the test's variable is not set")
	}

	var res struct {
		Status int
		Body   string
	}
	getJSON(t, srv, "/token", &res)
	if res.Status != 200 || !slices.Contains(ds.seen(), "Bearer tok-abc") {
		t.Errorf("token call: %+v, the Data System saw %q", res, ds.seen())
	}
}
