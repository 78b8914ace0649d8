package controller

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cgroupV1 is where apps' cgroups go on a host whose memory and cpu controllers are on cgroup
// v1 hierarchies (a v1 or hybrid host): a hearth-apps child of the runtime's own cgroup in the
// memory hierarchy, and one in the cpu hierarchy.
type cgroupV1 struct{ mem, cpu string }

// setupCgroupV1 finds the runtime's cgroups in the v1 memory and cpu hierarchies (self is
// /proc/self/cgroup, mountinfo /proc/self/mountinfo) and makes a hearth-apps child in each.
// cgroup v1 lets processes live beside child cgroups, so the runtime stays where it is.
func setupCgroupV1(mountinfo, self []byte) (*cgroupV1, error) {
	var cg cgroupV1
	for _, want := range []struct {
		name string
		dir  *string
	}{{"memory", &cg.mem}, {"cpu", &cg.cpu}} {
		own, err := ownCgroupV1(mountinfo, self, want.name)
		if err != nil {
			return nil, err
		}
		apps := filepath.Join(own, cgroupApps)
		if err := os.Mkdir(apps, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("cgroup v1 %s: %w", want.name, err)
		}
		*want.dir = apps
	}
	return &cg, nil
}

// ownCgroupV1 is the directory of the runtime's cgroup in the v1 hierarchy of controller.
func ownCgroupV1(mountinfo, self []byte, controller string) (string, error) {
	rel, found := "", false
	for line := range strings.Lines(string(self)) {
		// hierarchy-id:controller,controller:path
		f := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(f) == 3 && slices.Contains(strings.Split(f[1], ","), controller) {
			rel, found = f[2], true
		}
	}
	if !found {
		return "", fmt.Errorf("no cgroup v1 %s controller", controller)
	}
	for line := range strings.Lines(string(mountinfo)) {
		// id parent major:minor root mount-point options [optional fields] - fstype source super-options
		pre, post, ok := strings.Cut(strings.TrimSpace(line), " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 3 || g[0] != "cgroup" || !slices.Contains(strings.Split(g[2], ","), controller) {
			continue
		}
		root, mount := unescapeMount(f[3]), unescapeMount(f[4])
		sub, ok := strings.CutPrefix(rel, root)
		if !ok || (root != "/" && sub != "" && !strings.HasPrefix(sub, "/")) {
			return "", fmt.Errorf("cgroup v1 %s: the runtime's cgroup %s is outside the mount of %s", controller, rel, root)
		}
		dir := filepath.Join(mount, sub)
		if _, err := os.Stat(dir); err != nil {
			return "", fmt.Errorf("cgroup v1 %s: %w", controller, err)
		}
		return dir, nil
	}
	return "", fmt.Errorf("cgroup v1 %s hierarchy not mounted", controller)
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space, and so on).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// appCgroups makes (or reuses) the app's cgroups in both hierarchies and sets their limits:
// memory (and memory with swap, when swap is accounted) and a CPU quota per 100 ms period.
// It returns the memory one first.
func (cg *cgroupV1) appCgroups(id string, memMax int64, cpuMax float64) ([]string, error) {
	mem, cpu := filepath.Join(cg.mem, id), filepath.Join(cg.cpu, id)
	for _, d := range []string{mem, cpu} {
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("controller: %w", err)
		}
	}
	limit := strconv.FormatInt(memMax, 10)
	settings := [][3]string{
		{mem, "memory.limit_in_bytes", limit},
		{cpu, "cpu.cfs_period_us", "100000"},
		{cpu, "cpu.cfs_quota_us", strconv.FormatInt(max(int64(cpuMax*100000), 1000), 10)},
	}
	if _, err := os.Stat(filepath.Join(mem, "memory.memsw.limit_in_bytes")); err == nil {
		// After memory.limit_in_bytes: the kernel wants memsw's limit at least as high.
		settings = append(settings, [3]string{mem, "memory.memsw.limit_in_bytes", limit})
	}
	for _, s := range settings {
		if err := writeCgroup(s[0], s[1], s[2]); err != nil {
			return nil, fmt.Errorf("controller: %w", err)
		}
	}
	return []string{mem, cpu}, nil
}

// joinCgroups moves the process pid (all its threads) into the cgroups dirs.
func joinCgroups(dirs []string, pid int) error {
	for _, d := range dirs {
		if err := writeCgroup(d, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("controller: %w", err)
		}
	}
	return nil
}

// remove deletes the app's cgroups (they hold no process once it stopped).
func (cg *cgroupV1) remove(id string) error {
	return removeDirs(filepath.Join(cg.mem, id), filepath.Join(cg.cpu, id))
}

// removeCgroups deletes the cgroups of the app with the given id, which runs no more.
func (c *Controller) removeCgroups(id string) error {
	switch {
	case c.cgroup != "":
		return removeDirs(filepath.Join(c.cgroup, id))
	case c.cgV1 != nil:
		return c.cgV1.remove(id)
	}
	return nil
}

// cgroupLeaveWait bounds how long removeDirs waits for a cgroup's processes, killed just
// before, to finish leaving it.
const cgroupLeaveWait = 5 * time.Second

// removeDirs removes empty directories (cgroups), those already gone aside. A cgroup is busy
// while a process killed just before has not finished exiting: it is tried again until
// cgroupLeaveWait.
func removeDirs(dirs ...string) error {
	var errs []error
	for _, d := range dirs {
		deadline := time.Now().Add(cgroupLeaveWait)
		err := os.Remove(d)
		for errors.Is(err, syscall.EBUSY) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
			err = os.Remove(d)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
