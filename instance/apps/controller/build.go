package controller

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// buildTimeout bounds one npm run.
const buildTimeout = 15 * time.Minute

// buildCall is a build in progress: callers for the same tree wait for it.
type buildCall struct {
	done chan struct{}
	err  error // set before done is closed
}

// Build installs the app's dependencies, once per tree: into a copy of the tree, shared by
// every app of that tree, read-only to them. It returns at once when the tree is built; when
// a build of the tree is in progress, it waits for it. Its errors are safe to show the owner:
// ErrBuild with npm's last lines, or ErrNodeMissing.
func (c *Controller) Build(ctx context.Context, app App) error {
	if err := app.check(); err != nil {
		return err
	}
	if err := c.checkNodeVersion(app.Node.NodeVersion); err != nil {
		return err
	}
	if _, err := os.Stat(c.buildDir(app.Tree)); err == nil {
		return nil
	}
	c.mu.Lock()
	call, ok := c.builds[app.Tree]
	if !ok {
		if c.closed.Load() {
			c.mu.Unlock()
			return ErrClosed
		}
		call = &buildCall{done: make(chan struct{})}
		c.builds[app.Tree] = call
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			err := c.build(app)
			c.mu.Lock()
			delete(c.builds, app.Tree)
			c.mu.Unlock()
			call.err = err
			close(call.done)
		}()
	}
	c.mu.Unlock()
	select {
	case <-call.done:
		return call.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Controller) buildDir(tree string) string { return c.path("builds", tree) }

// build makes the build directory of app's tree: a copy in tmp, npm run in it, then renamed
// into place, so that a failed build leaves nothing.
func (c *Controller) build(app App) error {
	ctx, cancel := context.WithTimeout(c.ctx, buildTimeout)
	defer cancel()
	tmp, err := os.MkdirTemp(c.path("tmp"), app.Tree+".")
	if err != nil {
		return fmt.Errorf("controller: %w", err)
	}
	defer func() {
		if tmp != "" {
			_ = os.RemoveAll(tmp)
		}
	}()
	if err := copyTree(app.TreeDir, tmp); err != nil {
		return err
	}
	if _, err := os.Lstat(filepath.Join(tmp, "package.json")); err == nil {
		if err := c.npm(ctx, app, tmp); err != nil {
			return err
		}
	}
	if err := finishTree(tmp, c.asRoot); err != nil {
		return err
	}
	dst := c.buildDir(app.Tree)
	if err := os.Rename(tmp, dst); err != nil {
		if _, serr := os.Stat(dst); serr == nil {
			return nil // built meanwhile by another controller on the same directory
		}
		return fmt.Errorf("controller: %w", err)
	}
	tmp = ""
	return nil
}

// npm installs the dependencies in dir, as the build user when the runtime is root. Its
// output goes to the tree's build log and to the app's log.
func (c *Controller) npm(ctx context.Context, app App, dir string) error {
	mode := app.Node.InstallMode()
	if c.cfg.NPM == "" {
		return fmt.Errorf("%w: npm is not installed on this server", ErrBuild)
	}
	home := c.path("npm")
	var u *unixUser
	if c.asRoot {
		var err error
		if u, err = c.ensureBuildUser(ctx, home); err != nil {
			return err
		}
		if err := chownTree(dir, u.uid, u.gid); err != nil {
			return err
		}
	}
	if err := prepareDir(home, 0o700, u); err != nil {
		return err
	}
	args := []string{mode, "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--no-update-notifier"}
	cmd := exec.CommandContext(ctx, c.cfg.NPM, args...)
	cmd.Dir, cmd.Env = dir, c.npmEnv(home)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if u != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(u.uid), Gid: uint32(u.gid), Groups: []uint32{}}
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second

	blog := newLogFile(c.path("logs", "builds", app.Tree+".log"), logMax, c.log)
	defer blog.Close()
	alog := c.proc(app.Instance, app.Slug).logs
	tail := &tailBuffer{max: 64 << 10}
	out := io.MultiWriter(blog, alog, tail)
	cmd.Stdout, cmd.Stderr = out, out
	line := "npm " + strings.Join(args, " ")
	blog.note("tree %s: %s", app.Tree, line)
	alog.note("installing the dependencies of tree %s: %s", app.Tree, line)
	start := time.Now()
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // anything npm left behind
	}
	if err != nil {
		alog.note("installing the dependencies failed: %v", err)
		if ctx.Err() != nil {
			return fmt.Errorf("%w: npm %s was stopped (%v)", ErrBuild, mode, context.Cause(ctx))
		}
		return fmt.Errorf("%w: npm %s: %v:\n%s", ErrBuild, mode, err, npmCause(tail.String(), dir))
	}
	alog.note("dependencies installed in %s", time.Since(start).Round(time.Millisecond))
	return nil
}

func (c *Controller) ensureBuildUser(ctx context.Context, home string) (*unixUser, error) {
	c.buildUserMu.Lock()
	defer c.buildUserMu.Unlock()
	if c.buildUser == nil {
		u, err := ensureUser(ctx, userName(c.hash("", "build")), home, "hearth app builds")
		if err != nil {
			return nil, err
		}
		c.buildUser = u
	}
	return c.buildUser, nil
}

// npmEnv is npm's environment: none of the runtime's, except how to reach a registry.
func (c *Controller) npmEnv(home string) []string {
	env := []string{
		"PATH=" + filepath.Dir(c.cfg.Node) + ":/usr/local/bin:/usr/bin:/bin",
		"HOME=" + home,
		"npm_config_cache=" + filepath.Join(home, "cache"),
		"npm_config_update_notifier=false",
		"NODE_ENV=production",
	}
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "npm_config_registry", "NPM_CONFIG_REGISTRY"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// npmCause picks from npm's output what tells why it failed: its first "npm error"
// paragraphs (the code, then the message, without the usage that may follow); else the last
// lines. The build directory dir shows as ".".
func npmCause(out, dir string) string {
	out = strings.ReplaceAll(out, dir, ".")
	var cause []string
	blanks := 0
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, "\r\n")
		msg, ok := strings.CutPrefix(line, "npm error")
		if !ok {
			msg, ok = strings.CutPrefix(line, "npm ERR!")
		}
		msg = strings.TrimSpace(msg)
		if !ok || strings.HasPrefix(msg, "A complete log of this run") {
			continue
		}
		if msg == "" {
			if blanks++; blanks == 2 {
				break
			}
			continue
		}
		if cause = append(cause, msg); len(cause) == 10 {
			break
		}
	}
	if len(cause) > 0 {
		return strings.Join(cause, "\n")
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-15):], "\n")
}
