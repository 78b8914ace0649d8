package controller

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Limits set with rlimits whatever the cgroup support.
const (
	nofileMax = 8192 // open files per app process
	nprocMax  = 512  // processes and threads per app user (apps with a user of their own)
)

// Names in the cgroup tree.
const (
	cgroupApps    = "hearth-apps"    // the cgroup holding one child per app
	cgroupRuntime = "hearth-runtime" // the leaf the runtime moves into, when it must
)

// setupCgroup prepares, in the runtime's own cgroup v2 (from self, the content of
// /proc/self/cgroup, under the mount point root), a child cgroup that hands the memory and cpu
// controllers to one grandchild per app, and returns its path. cgroup v2 forbids processes in
// a cgroup that hands controllers down, so when the runtime is alone in its cgroup it moves
// into a leaf of it; when others share it (an undelegated service), setupCgroup gives up.
func setupCgroup(root string, self []byte, pid int) (string, error) {
	rel, found := "", false
	for line := range strings.Lines(string(self)) {
		if r, ok := strings.CutPrefix(strings.TrimSpace(line), "0::"); ok {
			rel, found = r, true
		}
	}
	if !found {
		return "", errors.New("the runtime is in no cgroup v2")
	}
	own := filepath.Join(root, rel)
	ctrls, err := os.ReadFile(filepath.Join(own, "cgroup.controllers"))
	if err != nil {
		return "", fmt.Errorf("no cgroup v2 hierarchy at %s", root)
	}
	if !hasControllers(ctrls) {
		return "", fmt.Errorf("the cgroup v2 memory and cpu controllers are not available in %s", own)
	}
	sub, err := os.ReadFile(filepath.Join(own, "cgroup.subtree_control"))
	if err != nil {
		return "", err
	}
	if !hasControllers(sub) {
		if err := leaveCgroup(own, rel, pid); err != nil {
			return "", err
		}
		if err := writeCgroup(own, "cgroup.subtree_control", "+memory +cpu"); err != nil {
			return "", err
		}
	}
	apps := filepath.Join(own, cgroupApps)
	if err := os.Mkdir(apps, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", err
	}
	if err := writeCgroup(apps, "cgroup.subtree_control", "+memory +cpu"); err != nil {
		return "", err
	}
	return apps, nil
}

// leaveCgroup moves the runtime (pid) from its cgroup own into a leaf of it, unless own is
// the root cgroup, which may hold processes.
func leaveCgroup(own, rel string, pid int) error {
	if rel == "/" {
		return nil
	}
	procs, err := os.ReadFile(filepath.Join(own, "cgroup.procs"))
	if err != nil {
		return err
	}
	switch f := strings.Fields(string(procs)); {
	case len(f) == 0:
		return nil
	case len(f) > 1 || f[0] != strconv.Itoa(pid):
		return fmt.Errorf("the runtime's cgroup %s holds other processes: give the runtime a cgroup of its own (systemd: Delegate=yes)", own)
	}
	leaf := filepath.Join(own, cgroupRuntime)
	if err := os.Mkdir(leaf, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return writeCgroup(leaf, "cgroup.procs", strconv.Itoa(pid))
}

func hasControllers(list []byte) bool {
	f := strings.Fields(string(list))
	has := func(name string) bool {
		for _, c := range f {
			if strings.TrimPrefix(c, "+") == name {
				return true
			}
		}
		return false
	}
	return has("memory") && has("cpu")
}

func writeCgroup(dir, file, value string) error {
	if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0o644); err != nil {
		return fmt.Errorf("cgroup: %w", err)
	}
	return nil
}

// appCgroup makes (or reuses) the cgroup of the app with the given id, sets its limits and
// returns it, open, for the app's process to start in.
func (c *Controller) appCgroup(id string) (string, *os.File, error) {
	dir := filepath.Join(c.cgroup, id)
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", nil, fmt.Errorf("controller: %w", err)
	}
	quota := int64(c.cfg.CPUMax * 100000)
	settings := [][2]string{
		{"memory.max", strconv.FormatInt(c.cfg.MemoryMax, 10)},
		{"cpu.max", fmt.Sprintf("%d 100000", max(quota, 1000))},
	}
	if _, err := os.Stat(filepath.Join(dir, "memory.swap.max")); err == nil {
		settings = append(settings, [2]string{"memory.swap.max", "0"})
	}
	for _, s := range settings {
		if err := writeCgroup(dir, s[0], s[1]); err != nil {
			return "", nil, fmt.Errorf("controller: %w", err)
		}
	}
	f, err := os.Open(dir)
	if err != nil {
		return "", nil, fmt.Errorf("controller: %w", err)
	}
	return dir, f, nil
}

// killCgroup kills every process in the cgroup dir.
func killCgroup(dir string) {
	if writeCgroup(dir, "cgroup.kill", "1") == nil {
		return
	}
	procs, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	for _, f := range strings.Fields(string(procs)) {
		if pid, err := strconv.Atoi(f); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// oomKills is how many times the kernel killed a process of the cgroup dir for lack of memory
// (cgroup v2's memory.events, or v1's memory.oom_control: both have an oom_kill line).
func oomKills(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "memory.events"))
	if err != nil {
		b, _ = os.ReadFile(filepath.Join(dir, "memory.oom_control"))
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "oom_kill "); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// heapMiB is the JavaScript heap given to Node with --max-old-space-size when memory is
// bounded with RLIMIT_DATA: less than the limit, so that V8 collects garbage before it.
func (c *Controller) heapMiB() int64 { return max(c.cfg.MemoryMax/4*3>>20, 16) }

// rlimit is a resource limit of an app's process, soft and hard.
type rlimit struct {
	res  int
	flag string // prlimit's option
	val  uint64
}

// rlimits are the limits of an app's process: open files; processes when the app has a user
// of its own; memory when there is no cgroup.
func (c *Controller) rlimits(ownUser bool) []rlimit {
	nofile := uint64(nofileMax)
	var cur unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &cur) == nil {
		nofile = min(nofile, cur.Max)
	}
	limits := []rlimit{{unix.RLIMIT_NOFILE, "--nofile", nofile}}
	if ownUser {
		limits = append(limits, rlimit{unix.RLIMIT_NPROC, "--nproc", nprocMax})
	}
	if !c.cgroupLimits() {
		limits = append(limits, rlimit{unix.RLIMIT_DATA, "--data", uint64(c.cfg.MemoryMax)})
	}
	return limits
}

// withRlimits wraps argv in util-linux's prlimit, which sets the limits in the app's process
// before it runs the app (lowering one's own limits needs no privilege). It returns argv as
// is when prlimit is missing.
func (c *Controller) withRlimits(argv []string, limits []rlimit) []string {
	if c.prlimit == "" {
		return argv
	}
	wrapped := []string{c.prlimit}
	for _, l := range limits {
		wrapped = append(wrapped, fmt.Sprintf("%s=%d:%d", l.flag, l.val, l.val))
	}
	return append(append(wrapped, "--"), argv...)
}

// setRlimits sets the limits of the running process pid, when prlimit was missing; the
// process runs already, for a few microseconds at most, and setting another user's limits
// needs CAP_SYS_RESOURCE.
func setRlimits(pid int, limits []rlimit) error {
	for _, l := range limits {
		if err := unix.Prlimit(pid, l.res, &unix.Rlimit{Cur: l.val, Max: l.val}, nil); err != nil {
			return fmt.Errorf("controller: prlimit: %w", err)
		}
	}
	return nil
}

// limitNotes says which limits apply to an app, for Status.
func (c *Controller) limitNotes(ownUser bool) []string {
	mem := fmt.Sprintf("memory %d MiB", c.cfg.MemoryMax>>20)
	var notes []string
	switch {
	case c.cgroup != "":
		notes = append(notes, mem+" (cgroup v2 memory.max)",
			fmt.Sprintf("cpu %g (cgroup v2 cpu.max)", c.cfg.CPUMax))
	case c.cgV1 != nil:
		notes = append(notes, mem+" (cgroup v1 memory.limit_in_bytes)",
			fmt.Sprintf("cpu %g (cgroup v1 cpu.cfs_quota_us)", c.cfg.CPUMax))
	default:
		notes = append(notes, mem+fmt.Sprintf(" (RLIMIT_DATA; JavaScript heap %d MiB with --max-old-space-size)", c.heapMiB()),
			"cpu not limited ("+c.noCg+")")
	}
	notes = append(notes, fmt.Sprintf("open files %d (RLIMIT_NOFILE)", nofileMax))
	if ownUser {
		notes = append(notes, fmt.Sprintf("processes %d (RLIMIT_NPROC)", nprocMax))
	}
	return notes
}
