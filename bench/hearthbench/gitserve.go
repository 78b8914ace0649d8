package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// appRef is the tag the harness gives the fixture app's commit.
const appRef = "v1.0.0"

var errGit = errors.New("hearthbench: git")

// gitServer serves bare repositories of fixture apps with git http-backend, run in this
// process through net/http/cgi on a free 127.0.0.1 port.
type gitServer struct {
	root string // GIT_PROJECT_ROOT: one <name>.git per fixture
	base string // http://127.0.0.1:port
	bin  string // git
	srv  *http.Server
}

// gitEnv isolates git from the user's and the system's configuration.
var gitEnv = []string{
	"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_TERMINAL_PROMPT=0",
	"GIT_AUTHOR_NAME=Hearth Bench", "GIT_AUTHOR_EMAIL=bench@hearth.invalid",
	"GIT_COMMITTER_NAME=Hearth Bench", "GIT_COMMITTER_EMAIL=bench@hearth.invalid",
	"GIT_AUTHOR_DATE=2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-01-01T00:00:00Z",
}

// startGitServer serves the repositories that add makes under dir.
func startGitServer(dir string) (*gitServer, error) {
	bin, err := exec.LookPath("git")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errGit, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: %w", errGit, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("%w: listen: %w", errGit, err)
	}
	h := &cgi.Handler{
		Path: bin, Args: []string{"http-backend"},
		Env:    append([]string{"GIT_PROJECT_ROOT=" + dir, "GIT_HTTP_EXPORT_ALL=1"}, gitEnv[:2]...),
		Stderr: io.Discard, Logger: log.New(io.Discard, "", 0),
	}
	g := &gitServer{root: dir, base: "http://" + l.Addr().String(), bin: bin,
		srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go func() { _ = g.srv.Serve(l) }()
	return g, nil
}

// add makes the bare repository <name>.git holding the files of fixture in one commit tagged
// appRef, and returns its URL, for POST /instances/{domain}/apps.
func (g *gitServer) add(ctx context.Context, name, fixture string) (string, error) {
	bare, work := filepath.Join(g.root, name+".git"), filepath.Join(g.root, name+"-work")
	if err := copyTree(fixture, work); err != nil {
		return "", err
	}
	for _, step := range []struct {
		dir  string
		args []string
	}{
		{g.root, []string{"init", "--quiet", "--bare", "--initial-branch=main", bare}},
		{work, []string{"init", "--quiet", "--initial-branch=main"}},
		{work, []string{"add", "--all"}},
		{work, []string{"commit", "--quiet", "-m", "app for the benchmarks"}},
		{work, []string{"tag", "-a", "-m", "release " + appRef, appRef}},
		{work, []string{"push", "--quiet", "--tags", bare, "main"}},
	} {
		cmd := exec.CommandContext(ctx, g.bin, step.args...)
		cmd.Dir, cmd.Env = step.dir, append(os.Environ(), gitEnv...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("%w %s: %w\n%s", errGit, strings.Join(step.args, " "), err, out)
		}
	}
	return g.base + "/" + name + ".git", nil
}

// stop closes the server.
func (g *gitServer) stop() { _ = g.srv.Close() }

// copyTree copies the regular files and directories under src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type().IsRegular():
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(to, b, 0o644)
		}
		return fmt.Errorf("%w: %s is neither a file nor a directory", errGit, path)
	})
}
