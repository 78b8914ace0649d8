package controller

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
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
	id := c.hash(app.Instance, app.Slug)
	cg, err := os.ReadFile("/proc/" + strconv.Itoa(st.PID) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case c.cgV1 != nil:
		for _, ctrl := range []string{"memory", "cpu"} {
			if !regexp.MustCompile(`(?m)^\d+:([a-z_]+,)*` + ctrl + `(,[a-z_]+)*:.*/` + cgroupApps + "/" + id + "$").Match(cg) {
				t.Errorf("the app is in no %s cgroup of its own:\n%s", ctrl, cg)
			}
		}
		if m := readTrim(t, filepath.Join(c.cgV1.mem, id, "memory.limit_in_bytes")); m != "268435456" {
			t.Errorf("memory.limit_in_bytes %s", m)
		}
		if !strings.Contains(st.Limits[0], "memory.limit_in_bytes") || !strings.Contains(st.Limits[1], "cpu.cfs_quota_us") {
			t.Errorf("limits %q", st.Limits)
		}
	case c.cgroup == "":
		t.Logf("no cgroups: %s", c.noCg)
		want = append(want, "Max data size 268435456 268435456")
		var env map[string]string
		getJSON(t, srv, "/env", &env)
		if env["NODE_OPTIONS"] != "--max-old-space-size=192" {
			t.Errorf("NODE_OPTIONS=%q", env["NODE_OPTIONS"])
		}
		if !strings.Contains(st.Limits[0], "RLIMIT_DATA") || !strings.Contains(st.Limits[1], "cpu not limited") {
			t.Errorf("limits %q", st.Limits)
		}
	default:
		if !strings.Contains(string(cg), cgroupApps+"/"+id) {
			t.Errorf("the app's cgroup: %s", cg)
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

// readTrim reads a small file, without its surrounding space.
func readTrim(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// With cgroups (v2, or v1 on this machine), the kernel holds an app to its CPU quota and kills
// it when it outgrows its memory; Status says so.
func TestCgroupLimitsAreEnforced(t *testing.T) {
	t.Parallel()
	c := newController(t, Config{MemoryMax: 64 << 20, CPUMax: 0.2})
	if !c.cgroupLimits() {
		t.Skipf("no cgroup limits on this machine: %s", c.noCg)
	}
	app := probeApp(t, "cgroups.example")
	srv := serve(t, c, app)
	id := c.hash(app.Instance, app.Slug)
	cpuDir := filepath.Join(c.cgroup, id)
	if c.cgV1 != nil {
		cpuDir = filepath.Join(c.cgV1.cpu, id)
	}
	var spun struct {
		CPUms float64 `json:"cpu_ms"`
	}
	getJSON(t, srv, "/spin?ms=700", &spun)
	stat := readTrim(t, filepath.Join(cpuDir, "cpu.stat"))
	m := regexp.MustCompile(`(?m)^nr_throttled (\d+)$`).FindStringSubmatch(stat)
	if m == nil || m[1] == "0" {
		t.Errorf("an app spinning for 700 ms at a quota of 0.2 CPU was never throttled (it got %.0f ms):\n%s", spun.CPUms, stat)
	}
	t.Logf("spinning 700 ms got %.0f ms of CPU", spun.CPUms)

	if status, body := get(t, srv, "/hog?mb=256"); status == 200 {
		t.Fatalf("an app filling 256 MB under a 64 MB limit lived: %s", body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := c.Status(app.Instance, app.Slug)
		if strings.Contains(st.LastExit, "out of memory") {
			t.Logf("last exit: %s", st.LastExit)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Status after the app outgrew its memory: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// setupCgroupV1 on a fake v1 tree: the runtime's memory and cpu cgroups are found through
// mountinfo, and each gets a child for the apps, whose cgroups get their limits.
func TestSetupCgroupV1(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, d := range []string{"memory/user.slice/hearth", "cpu,cpuacct/hearth", "with space/x"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mountinfo := "30 22 0:27 / " + root + " rw - tmpfs tmpfs rw\n" +
		"31 30 0:28 / " + root + "/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n" +
		"35 30 0:32 /user.slice " + root + "/memory rw,relatime - cgroup cgroup rw,memory\n" +
		"36 30 0:33 / " + root + "/with\\040space rw,relatime - cgroup cgroup rw,pids\n"
	self := "4:memory:/user.slice/user.slice/hearth\n2:cpu,cpuacct:/hearth\n8:pids:/x\n0::/\n"
	cg, err := setupCgroupV1([]byte(mountinfo), []byte(self))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "memory/user.slice/hearth", cgroupApps); cg.mem != want {
		t.Errorf("memory: %s, want %s", cg.mem, want)
	}
	if want := filepath.Join(root, "cpu,cpuacct/hearth", cgroupApps); cg.cpu != want {
		t.Errorf("cpu: %s, want %s", cg.cpu, want)
	}
	if dir, err := ownCgroupV1([]byte(mountinfo), []byte(self), "pids"); err != nil || dir != filepath.Join(root, "with space/x") {
		t.Errorf("a mount point with an escaped space: %q %v", dir, err)
	}
	// A fake tree takes any file; the kernel's has memory.memsw.limit_in_bytes only with swap
	// accounting.
	if err := os.MkdirAll(filepath.Join(cg.mem, "app1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cg.mem, "app1", "memory.memsw.limit_in_bytes"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	dirs, err := cg.appCgroups("app1", 256<<20, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		filepath.Join(dirs[0], "memory.limit_in_bytes"):       "268435456",
		filepath.Join(dirs[0], "memory.memsw.limit_in_bytes"): "268435456",
		filepath.Join(dirs[1], "cpu.cfs_period_us"):           "100000",
		filepath.Join(dirs[1], "cpu.cfs_quota_us"):            "50000",
	} {
		if got := readTrim(t, file); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	for _, tc := range []struct{ self, want string }{
		{"0::/\n", "no cgroup v1 memory controller"},
		{"4:memory:/elsewhere\n2:cpu,cpuacct:/hearth\n", "outside the mount"},
	} {
		if _, err := setupCgroupV1([]byte(mountinfo), []byte(tc.self)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("self %q: %v, want %q", tc.self, err, tc.want)
		}
	}
}
