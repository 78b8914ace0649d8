package controller

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// run is one process of an app.
type run struct {
	cmd    *exec.Cmd
	pid    int
	uid    int    // the app's own user; 0 when it runs as the runtime's
	cgroup string // its cgroup; "" when none
	ooms   int    // out-of-memory kills in the cgroup before it started
	// rlimitErr says why its rlimits could not be set (without prlimit, another user's
	// limits need CAP_SYS_RESOURCE); nil when they were.
	rlimitErr error
	started   time.Time
	// exited is closed, under proc.mu, once the process has exited, its leftovers were
	// killed and the proc's state follows; exitDesc is set before.
	exited   chan struct{}
	exitDesc string
	copied   chan struct{} // closed when all of its output is in the log
}

// start makes sure the tree is built and the app's user and directories exist, then starts
// the app's process.
func (p *proc) start(app App) (*run, error) {
	c := p.c
	if err := c.Build(c.ctx, app); err != nil {
		return nil, err
	}
	var u *unixUser
	if c.asRoot {
		var err error
		if u, err = ensureUser(c.ctx, userName(p.id), c.path("homes", p.id), "hearth app"); err != nil {
			return nil, err
		}
		p.mu.Lock()
		p.user = u
		p.mu.Unlock()
	}
	home := c.path("homes", p.id)
	sock := c.socketPath(p.id)
	for _, d := range []string{home, filepath.Join(home, "data"), filepath.Join(home, "tmp"), filepath.Dir(sock)} {
		if err := prepareDir(d, 0o700, u); err != nil {
			return nil, err
		}
	}
	if err := os.Remove(sock); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("controller: %w", err)
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.StartTimeout)
	defer cancel()
	env, err := c.environ(ctx, app, home, sock)
	if err != nil {
		return nil, err
	}
	argv, err := c.command(app)
	if err != nil {
		return nil, err
	}
	return p.spawn(c.buildDir(app.Tree), argv, env, u)
}

// spawn starts the process in a process group of its own, as u when not nil, in the app's
// cgroup when there is one, its output going to the app's log.
func (p *proc) spawn(dir string, argv, env []string, u *unixUser) (*run, error) {
	c := p.c
	limits := c.rlimits(u != nil)
	wrapped := c.withRlimits(argv, limits)
	cmd := exec.Command(wrapped[0], wrapped[1:]...)
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	r := &run{cmd: cmd, exited: make(chan struct{})}
	if u != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(u.uid), Gid: uint32(u.gid), Groups: []uint32{}}
		r.uid = u.uid
	}
	if c.cgroup != "" {
		dir, f, err := c.appCgroup(p.id)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, int(f.Fd())
		r.cgroup, r.ooms = dir, oomKills(dir)
	}
	var v1 []string // cgroup v1 has no CLONE_INTO_CGROUP: the process joins once started
	if c.cgV1 != nil {
		var err error
		if v1, err = c.cgV1.appCgroups(p.id, c.cfg.MemoryMax, c.cfg.CPUMax); err != nil {
			return nil, err
		}
		r.cgroup, r.ooms = v1[0], oomKills(v1[0])
	}
	if err := p.startLogged(r); err != nil {
		return nil, err
	}
	r.pid, r.started = cmd.Process.Pid, c.now()
	if v1 != nil {
		// Start returns once the child has run exec: it is prlimit or the app, which has
		// started nothing yet.
		if err := joinCgroups(v1, r.pid); err != nil {
			c.kill(r)
			_ = r.cmd.Wait()
			return nil, err
		}
	}
	if c.prlimit == "" {
		r.rlimitErr = setRlimits(r.pid, limits)
		if r.rlimitErr != nil {
			c.log.Warn("controller: cannot limit an app's resources", "instance", p.instance, "slug", p.slug, "err", r.rlimitErr)
		}
	}
	p.logs.note("started %q (pid %d)", argv, r.pid)
	p.mu.Lock()
	p.cur = r
	p.mu.Unlock()
	go p.watch(r)
	return r, nil
}

// startLogged starts r's command with its output copied into the app's log.
func (p *proc) startLogged(r *run) error {
	out, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("controller: %w", err)
	}
	r.cmd.Stdout, r.cmd.Stderr = w, w
	err = r.cmd.Start()
	w.Close()
	if err != nil {
		out.Close()
		return &unavailable{status: http.StatusBadGateway, msg: fmt.Sprintf("the app failed to start: %v", err)}
	}
	r.copied = make(chan struct{})
	go func() {
		defer close(r.copied)
		defer out.Close()
		_, _ = io.Copy(p.logs, out)
	}()
	return nil
}

// waitListening waits until the app's socket accepts a connection, the process exits (then
// errExited), or StartTimeout passes.
func (p *proc) waitListening(r *run) error {
	deadline := time.NewTimer(p.c.cfg.StartTimeout)
	defer deadline.Stop()
	sock := p.c.socketPath(p.id)
	delay := time.Millisecond
	for {
		ctx, cancel := context.WithTimeout(p.c.ctx, time.Second)
		conn, err := dialSocket(ctx, sock)
		cancel()
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-r.exited:
			return errExited
		case <-deadline.C:
			return &unavailable{status: http.StatusBadGateway, msg: fmt.Sprintf("the app did not listen on its socket (HEARTH_SOCKET) within %s; its logs are on your home page", p.c.cfg.StartTimeout)}
		case <-p.c.ctx.Done():
			return ErrClosed
		case <-time.After(delay):
		}
		delay = min(2*delay, 10*time.Millisecond)
	}
}

// watch waits for the process to exit, kills what it left, and updates the state: a
// running app that exits has crashed.
func (p *proc) watch(r *run) {
	var info unix.Siginfo
	for { // wait for the exit without reaping, so that the pid still names the group
		err := unix.Waitid(unix.P_PID, r.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	p.c.kill(r)
	err := r.cmd.Wait()
	p.transport.CloseIdleConnections()
	select { // its output first, unless a process that escaped holds the pipe
	case <-r.copied:
	case <-time.After(2 * time.Second):
	}
	desc := describeExit(err)
	if r.cgroup != "" && oomKills(r.cgroup) > r.ooms {
		desc += fmt.Sprintf(" (out of memory: the limit is %d MiB)", p.c.cfg.MemoryMax>>20)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r.exitDesc, p.lastExit = desc, desc
	p.logs.note("pid %d exited: %s", r.pid, desc)
	if p.cur == r {
		switch p.state {
		case StateRunning:
			p.crashLocked(r)
		case StateStopping:
			p.state = StateStopped
		}
	}
	close(r.exited)
}

func describeExit(err error) string {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return "exit status 0"
	case errors.As(err, &ee):
		return ee.String()
	}
	return err.Error()
}

// kill kills the process and everything it started: its group, its cgroup, and every
// process of its user when it has one of its own.
func (c *Controller) kill(r *run) {
	_ = syscall.Kill(-r.pid, syscall.SIGKILL)
	if r.cgroup != "" {
		killCgroup(r.cgroup)
	}
	if r.uid != 0 {
		killUser(r.uid)
	}
}

// terminate stops r: SIGTERM to its group, then, after the grace period, kill.
func (c *Controller) terminate(r *run) {
	_ = syscall.Kill(-r.pid, syscall.SIGTERM)
	t := time.NewTimer(c.grace)
	defer t.Stop()
	select {
	case <-r.exited:
	case <-t.C:
		c.kill(r)
	}
}
