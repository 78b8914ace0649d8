package controller

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// As root, two apps run as different users, each with a private home and data directory, and
// neither can read the other's files, the controller's or the runtime's.
func TestIsolation(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("apps have users of their own only when the runtime is root")
	}
	c := newController(t, Config{})
	a, b := probeApp(t, "alice.example"), probeApp(t, "bob.example")
	sa, sb := serve(t, c, a), serve(t, c, b)
	type id struct{ UID, GID, PID int }
	var ia, ib id
	getJSON(t, sa, "/id", &ia)
	getJSON(t, sb, "/id", &ib)
	if ia.UID == 0 || ib.UID == 0 || ia.UID == ib.UID || ia.GID == ib.GID {
		t.Fatalf("uids and gids: %+v and %+v, want two users of their own", ia, ib)
	}

	idA, idB := c.hash(a.Instance, a.Slug), c.hash(b.Instance, b.Slug)
	homeA, dataB := c.path("homes", idA), filepath.Join(c.path("homes", idB), "data")
	for _, d := range []string{homeA, filepath.Join(homeA, "data"), filepath.Dir(c.socketPath(idA))} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); fi.Mode().Perm() != 0o700 || int(st.Uid) != ia.UID {
			t.Errorf("%s: mode %o owner %d, want 0700 owned by %d", d, fi.Mode().Perm(), st.Uid, ia.UID)
		}
	}
	// The runtime's own private directory, with a file anyone could read but for it.
	private := t.TempDir()
	if err := os.Chmod(private, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(private, "secret"), []byte("runtime secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	var res struct {
		OK   bool
		Code string
	}
	getJSON(t, sa, "/write?path="+url.QueryEscape(filepath.Join(homeA, "data", "secret")), &res)
	if !res.OK {
		t.Fatalf("A cannot write in its data directory: %s", res.Code)
	}
	for _, tc := range []struct{ name, route, path string }{
		{"A's data file", "/read", filepath.Join(homeA, "data", "secret")},
		{"A's home", "/list", homeA},
		{"A's socket directory", "/list", filepath.Dir(c.socketPath(idA))},
		{"A's log", "/read", c.logPath(idA)},
		{"A's environment", "/read", "/proc/" + strconv.Itoa(ia.PID) + "/environ"},
		{"the controller's logs", "/list", c.path("logs")},
		{"the npm cache", "/list", c.path("npm")},
		{"the builds", "/list", c.path("builds")},
		{"its build directory", "/write", filepath.Join(c.buildDir("probe1"), "server.js")},
		{"the runtime's private directory", "/read", filepath.Join(private, "secret")},
	} {
		var res struct {
			OK   bool
			Code string
		}
		getJSON(t, sb, tc.route+"?path="+url.QueryEscape(tc.path), &res)
		if res.OK || res.Code != "EACCES" {
			t.Errorf("B on %s (%s %s): %+v, want EACCES", tc.name, tc.route, tc.path, res)
		}
	}
	// A cannot send the runtime to B's socket through a link in place of its own.
	getJSON(t, sa, "/hijack?path="+url.QueryEscape(c.socketPath(idB)), &res)
	if !res.OK {
		t.Fatalf("hijack: %s", res.Code)
	}
	c.lookup(a.Instance, a.Slug).transport.CloseIdleConnections()
	if status, body := get(t, sa, "/id"); status != http.StatusBadGateway {
		t.Errorf("A's request after the hijack: %d %s, want 502", status, body)
	}
	// B can use its own data directory.
	for _, route := range []string{"/write", "/read"} {
		var res struct {
			OK   bool
			Code string
		}
		getJSON(t, sb, route+"?path="+url.QueryEscape(filepath.Join(dataB, "mine")), &res)
		if !res.OK {
			t.Errorf("B %s its own data: %s", route, res.Code)
		}
	}
}
