package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// startTimeout bounds how long a started service may take to answer.
const startTimeout = 60 * time.Second

var errNotReady = errors.New("hearthbench: service not ready")

// proc is a child process running in its own process group, its output in a log file.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed when the process has exited
	once    sync.Once
}

// procs owns every child process of the run so that all of them are killed at the end.
type procs struct {
	dir  string // where log files go
	mu   sync.Mutex
	list []*proc // guarded by mu
}

// spec says how to run a child process.
type spec struct {
	name string
	bin  string
	args []string
	env  []string // added to ours
	dir  string   // working directory; empty: ours
}

// start runs a process in its own process group; the child is killed if we die.
func (ps *procs) start(sp spec) (*proc, error) {
	name := sp.name
	logPath := fmt.Sprintf("%s/%s.log", ps.dir, strings.ReplaceAll(name, " ", "-"))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("hearthbench: log file for %s: %w", name, err)
	}
	defer logFile.Close()
	cmd := exec.Command(sp.bin, sp.args...)
	cmd.Env = append(os.Environ(), sp.env...)
	cmd.Dir = sp.dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("hearthbench: start %s (%s): %w", name, sp.bin, err)
	}
	p := &proc{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	ps.mu.Lock()
	ps.list = append(ps.list, p)
	ps.mu.Unlock()
	return p, nil
}

// stopAll kills every process started so far.
func (ps *procs) stopAll() {
	ps.mu.Lock()
	list := ps.list
	ps.list = nil
	ps.mu.Unlock()
	for _, p := range list {
		p.stop()
	}
}

// stop kills the process group and waits (bounded) for the process to exit.
func (p *proc) stop() {
	p.once.Do(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
		}
	})
}

// logTail returns the last bytes of the process's output, for error messages.
func (p *proc) logTail() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// waitHTTP polls url until it answers with any HTTP status, the process exits, or time runs out.
func (p *proc) waitHTTP(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%w: %s exited: %v\n%s", errNotReady, p.name, err, p.logTail())
		case <-ctx.Done():
			return fmt.Errorf("%w: %s at %s: %w\n%s", errNotReady, p.name, url, ctx.Err(), p.logTail())
		case <-tick.C:
		}
	}
}

// freeAddr returns a 127.0.0.1:port address that was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("hearthbench: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// rssBytes reads VmRSS of a process from /proc.
func rssBytes(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("hearthbench: read memory of %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err != nil {
				return 0, fmt.Errorf("hearthbench: parse VmRSS %q: %w", rest, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("hearthbench: no VmRSS for %d", pid)
}
