package testsvc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long a service may take to answer after starting.
const startTimeout = 30 * time.Second

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("testsvc: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// LockedBuffer is a bytes.Buffer safe to write from one goroutine while another reads it: a
// process's output, or a command run in-process, read by the test.
type LockedBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// service is a started process in its own process group.
type service struct {
	cmd    *exec.Cmd
	out    *LockedBuffer
	exited chan struct{} // closed when the process has exited
	once   sync.Once
}

// startService starts cmd in its own process group, collecting its output.
func startService(cmd *exec.Cmd) (*service, error) {
	s := &service{cmd: cmd, out: &LockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("testsvc: start %s: %w", cmd.Path, err)
	}
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	return s, nil
}

// stop kills the whole process group and waits for the process to exit.
func (s *service) stop() {
	s.once.Do(func() {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
		}
	})
}

// waitReady polls ready until it succeeds, the process exits, or the
// deadline passes.
func (s *service) waitReady(ctx context.Context, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := ready(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("testsvc: %s exited before answering: %w\n%s", s.cmd.Path, err, s.out)
		case <-ctx.Done():
			return fmt.Errorf("testsvc: %s not ready: %w\n%s", s.cmd.Path, errors.Join(err, ctx.Err()), s.out)
		case <-tick.C:
		}
	}
}

// httpReady returns a readiness check that GETs url and expects a 2xx.
func httpReady(url string) func(context.Context) error {
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return nil
	}
}
