package controller

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The limits that apply are the ones Status reports, with or without cgroup v2.
func TestLimits(t *testing.T) {
	t.Parallel()
	c := newController(t, Config{MemoryMax: 256 << 20})
	app := probeApp(t, "limits.example")
	srv := serve(t, c, app)
	status, limits := get(t, srv, "/limits")
	if status != 200 {
		t.Fatal(status, limits)
	}
	st := c.Status(app.Instance, app.Slug)
	want := []string{"Max open files 8192 8192"}
	if c.asRoot {
		want = append(want, "Max processes 512 512")
	}
	if c.cgroup == "" {
		t.Logf("no cgroup v2: %s", c.noCg)
		want = append(want, "Max data size 268435456 268435456")
		var env map[string]string
		getJSON(t, srv, "/env", &env)
		if env["NODE_OPTIONS"] != "--max-old-space-size=192" {
			t.Errorf("NODE_OPTIONS=%q", env["NODE_OPTIONS"])
		}
		if !strings.Contains(st.Limits[0], "RLIMIT_DATA") || !strings.Contains(st.Limits[1], "cpu not limited") {
			t.Errorf("limits %q", st.Limits)
		}
	} else {
		cg, err := os.ReadFile("/proc/" + strconv.Itoa(st.PID) + "/cgroup")
		if err != nil || !strings.Contains(string(cg), cgroupApps+"/"+c.hash(app.Instance, app.Slug)) {
			t.Errorf("the app's cgroup: %s %v", cg, err)
		}
		if !strings.Contains(st.Limits[0], "memory.max") {
			t.Errorf("limits %q", st.Limits)
		}
	}
	limits = strings.Join(strings.Fields(limits), " ")
	for _, w := range want {
		if !strings.Contains(limits, w) {
			t.Errorf("limits lack %q:\n%s", w, limits)
		}
	}
}

// Without util-linux's prlimit, the limits are set on the running process, or Status says
// they could not be (another user's limits need CAP_SYS_RESOURCE).
func TestLimitsWithoutPrlimit(t *testing.T) {
	t.Parallel()
	c := newController(t, Config{})
	c.prlimit = ""
	app := probeApp(t, "noprlimit.example")
	_, limits := get(t, serve(t, c, app), "/limits")
	st := c.Status(app.Instance, app.Slug)
	set := strings.Contains(strings.Join(strings.Fields(limits), " "), "Max open files 8192 8192")
	notSet := slices.ContainsFunc(st.Limits, func(l string) bool { return strings.HasPrefix(l, "rlimits not set: ") })
	if set == notSet {
		t.Errorf("limits set %v, Status says %q:\n%s", set, st.Limits, limits)
	}
	t.Logf("set: %v; Status: %q", set, st.Limits)
}

// setupCgroup on a fake cgroup v2 tree: the runtime moves into a leaf, the controllers are
// handed down, and an app's cgroup gets its limits.
func TestSetupCgroup(t *testing.T) {
	t.Parallel()
	fake := func(t *testing.T, procs string) string {
		root := t.TempDir()
		own := filepath.Join(root, "system.slice", "hearth.service")
		files := map[string]string{"cgroup.controllers": "cpuset cpu io memory pids\n", "cgroup.subtree_control": "", "cgroup.procs": procs}
		if err := os.MkdirAll(own, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(own, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return root
	}
	self := []byte("0::/system.slice/hearth.service\n")
	read := func(p string) string { b, _ := os.ReadFile(p); return string(b) }

	t.Run("delegated", func(t *testing.T) {
		root := fake(t, "1234\n")
		apps, err := setupCgroup(root, self, 1234)
		own := filepath.Join(root, "system.slice", "hearth.service")
		if err != nil || apps != filepath.Join(own, cgroupApps) {
			t.Fatalf("setupCgroup: %q, %v", apps, err)
		}
		if got := read(filepath.Join(own, cgroupRuntime, "cgroup.procs")); got != "1234" {
			t.Errorf("the runtime's leaf holds %q", got)
		}
		for _, d := range []string{own, apps} {
			if got := read(filepath.Join(d, "cgroup.subtree_control")); got != "+memory +cpu" {
				t.Errorf("%s hands down %q", d, got)
			}
		}
		c := &Controller{cgroup: apps, cfg: Config{MemoryMax: 256 << 20, CPUMax: 0.5}}
		dir, f, err := c.appCgroup("app1")
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if m, cpu := read(filepath.Join(dir, "memory.max")), read(filepath.Join(dir, "cpu.max")); m != "268435456" || cpu != "50000 100000" {
			t.Errorf("memory.max %q cpu.max %q", m, cpu)
		}
	})
	for _, tc := range []struct{ name, self, procs, want string }{
		{"shared", string(self), "1234\n99\n", "holds other processes"},
		{"no cgroup v2", "1:memory:/x\n", "", "in no cgroup v2"},
		{"no controllers", "0::/elsewhere\n", "", "no cgroup v2 hierarchy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := setupCgroup(fake(t, tc.procs), []byte(tc.self), 1234)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("setupCgroup: %v, want %q", err, tc.want)
			}
		})
	}
}
