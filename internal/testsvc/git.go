package testsvc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// gitTimeout bounds one git command run by these helpers.
const gitTimeout = 30 * time.Second

// GitRun runs git with args in dir, isolated from the user's and system's
// configuration, and returns its trimmed standard output. A missing git or
// a failing command fails the test.
func GitRun(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := gitRun(dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func gitRun(dir string, args ...string) (string, error) {
	bin, err := exec.LookPath("git")
	if err != nil {
		return "", fmt.Errorf("%w: git: %w", ErrMissing, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), gitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Hearth Test", "GIT_AUTHOR_EMAIL=test@hearth.invalid",
		"GIT_COMMITTER_NAME=Hearth Test", "GIT_COMMITTER_EMAIL=test@hearth.invalid",
		"GIT_AUTHOR_DATE=2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-01-01T00:00:00Z",
		"GIT_TERMINAL_PROMPT=0",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("testsvc: git %s in %s: %w\n%s", strings.Join(args, " "), dir, err, stderr.String())
	}
	return strings.TrimSpace(stdout.String()), nil
}

// GitRepo makes a bare repository "app.git" in a new temporary directory
// with one commit on branch main holding files (path → content; parent
// directories are created), and an annotated tag on it for each of tags.
// It returns the repository's directory; its parent is a root for GitHTTP
// and GitDaemon.
func GitRepo(t testing.TB, files map[string]string, tags ...string) string {
	t.Helper()
	bare := filepath.Join(t.TempDir(), "app.git")
	GitRun(t, "", "init", "--quiet", "--bare", "--initial-branch=main", bare)
	GitCommit(t, bare, files, tags...)
	return bare
}

// GitCommit adds a commit on main to the bare repository whose tree is
// exactly files, tags it with each of tags, and returns its hash.
func GitCommit(t testing.TB, bare string, files map[string]string, tags ...string) string {
	t.Helper()
	return GitCommitFunc(t, bare, func(work string) {
		t.Helper()
		for name, content := range files {
			p := filepath.Join(work, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}, tags...)
}

// GitCommitFunc adds a commit on main (a child of main's last commit, if
// any) to the bare repository: edit fills an
// empty work tree (it may also run GitRun there, for example to stage a
// symbolic link or a submodule), everything in it is committed, tagged with
// each of tags and pushed. It returns the commit's hash.
func GitCommitFunc(t testing.TB, bare string, edit func(work string), tags ...string) string {
	t.Helper()
	work := t.TempDir()
	GitRun(t, work, "init", "--quiet", "--initial-branch=main")
	if _, err := gitRun(bare, "rev-parse", "--verify", "--quiet", "refs/heads/main"); err == nil {
		// Continue main's history; the index stays empty, so the new
		// tree is exactly what edit leaves in the work tree.
		GitRun(t, work, "fetch", "--quiet", bare, "main")
		GitRun(t, work, "update-ref", "refs/heads/main", "FETCH_HEAD")
	}
	edit(work)
	GitRun(t, work, "add", "--all")
	GitRun(t, work, "commit", "--quiet", "--allow-empty", "-m", "commit")
	commit := GitRun(t, work, "rev-parse", "HEAD")
	for _, tag := range tags {
		GitRun(t, work, "tag", "-a", "-m", "release "+tag, tag)
	}
	GitRun(t, work, "push", "--quiet", "--force", "--tags", bare, "main")
	return commit
}

// GitHTTP serves the bare repositories under root with git http-backend,
// run in-process through net/http/cgi, on a free port of 127.0.0.1, and
// returns the base URL: a repository root/app.git is at baseURL+"/app.git".
// The server stops when the test ends.
func GitHTTP(t testing.TB, root string) string {
	t.Helper()
	bin, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("%v: git: %v", ErrMissing, err)
	}
	handler := &cgi.Handler{
		Path:   bin,
		Args:   []string{"http-backend"},
		Stderr: io.Discard,                 // "not our ref" and the like reach the client too
		Logger: log.New(io.Discard, "", 0), // clients that hang up early are expected
		Env: []string{
			"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		},
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testsvc: listen: %v", err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + l.Addr().String()
}

// GitDaemon serves the bare repositories under root with git daemon on a
// free port of 127.0.0.1 and returns the base URL ("git://127.0.0.1:P").
// The daemon stops when the test ends.
func GitDaemon(t testing.TB, root string) string {
	t.Helper()
	bin, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("%v: git: %v", ErrMissing, err)
	}
	port := FreePort(t)
	cmd := exec.Command(bin, "daemon", "--export-all", "--base-path="+root,
		"--listen=127.0.0.1", "--port="+strconv.Itoa(port), "--reuseaddr",
		"--informative-errors", root)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	s, err := startService(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := s.waitReady(context.Background(), tcpReady(addr)); err != nil {
		t.Fatal(err)
	}
	return "git://" + addr
}

// tcpReady returns a readiness check that connects to addr.
func tcpReady(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
}
