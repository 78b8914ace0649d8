package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hearth-cloud/hearth/registry/manifest"
)

// Sample apps: "registry serve --samples DIR" publishes each app directory of DIR (one with
// a hearth.json) as a publisher would, so that a registry run on one machine has apps to
// browse and install. Each becomes a Git repository in the data directory (one commit per
// change, tagged with its manifest's version), served by git http-backend under /samples/
// on the registry's own listener, and submitted through the registry's API by a "samples"
// publisher whose token is kept in the data directory.

// samplesDir is where the sample repositories and the publisher's token are kept.
const samplesDir = "samples"

// samples are the sample apps of a registry being started.
type samples struct {
	src string // the directory of app directories
	dir string // dataDir/samples
	git string // the git binary
	log *slog.Logger
}

func newSamples(src, dataDir string, log *slog.Logger) (*samples, error) {
	git, err := exec.LookPath("git")
	if err != nil {
		return nil, fmt.Errorf("--samples needs git to serve the sample repositories: %w", err)
	}
	if fi, err := os.Stat(src); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%w: --samples %q is not a directory", errUsage, src)
	}
	dir, err := filepath.Abs(filepath.Join(dataDir, samplesDir)) // git runs in other directories
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &samples{src: src, dir: dir, git: git, log: log}, nil
}

// handler serves the sample repositories read-only over Git's smart HTTP, under /samples/.
func (s *samples) handler() http.Handler {
	return &cgi.Handler{Path: s.git, Args: []string{"http-backend"}, Root: "/" + samplesDir,
		Env: []string{"GIT_PROJECT_ROOT=" + s.dir, "GIT_HTTP_EXPORT_ALL=1"}}
}

// publish commits each sample's current files to its repository and submits it to the
// registry at base (or refreshes it when it is there already). It returns the slugs published.
func (s *samples) publish(ctx context.Context, base string) ([]string, error) {
	acct, err := s.account(ctx, base)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(s.src)
	if err != nil {
		return nil, err
	}
	var slugs []string
	for _, e := range entries {
		app := filepath.Join(s.src, e.Name())
		if _, err := os.Stat(filepath.Join(app, manifest.FileName)); !e.IsDir() || err != nil {
			continue
		}
		slug, err := s.commit(ctx, app, acct.Proof)
		if err != nil {
			return slugs, fmt.Errorf("sample %s: %w", e.Name(), err)
		}
		if err := s.submit(ctx, base, acct.Token, slug); err != nil {
			return slugs, fmt.Errorf("sample %s: %w", slug, err)
		}
		slugs = append(slugs, slug)
	}
	return slugs, nil
}

// sampleAccount is the samples publisher, as kept in samples/publisher.json.
type sampleAccount struct {
	Token string `json:"token"`
	Proof string `json:"proof"`
}

// account signs the samples publisher up on first start and keeps its token.
func (s *samples) account(ctx context.Context, base string) (*sampleAccount, error) {
	path := filepath.Join(s.dir, "publisher.json")
	var acct sampleAccount
	data, err := os.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(data, &acct); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return &acct, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	signup := map[string]string{"email": "samples@hearth.invalid", "name": "Hearth samples", "password": rand.Text()}
	if status, body, err := callAPI(ctx, "POST", base+"/api/v1/publishers", "", signup, &acct); err != nil || status != http.StatusCreated {
		return nil, fmt.Errorf("sign the samples publisher up: %d %s %v", status, body, err)
	}
	data, _ = json.Marshal(acct)
	return &acct, os.WriteFile(path, data, 0o600)
}

// commit makes the sample's repository hold its current files and the proof, tagged
// v{version}; it returns the app's slug.
func (s *samples) commit(ctx context.Context, app, proof string) (string, error) {
	data, err := os.ReadFile(filepath.Join(app, manifest.FileName))
	if err != nil {
		return "", err
	}
	m, err := manifest.Load(data)
	if err != nil {
		return "", err
	}
	bare := filepath.Join(s.dir, m.Slug+".git")
	if _, err := os.Stat(bare); errors.Is(err, fs.ErrNotExist) {
		if _, err := s.run(ctx, "", "init", "--quiet", "--bare", "--initial-branch=main", bare); err != nil {
			return "", err
		}
	}
	work, err := os.MkdirTemp("", "hearth-sample-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	if err := os.CopyFS(work, os.DirFS(app)); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(work, ".hearth-proof"), []byte(proof+"\n"), 0o644); err != nil {
		return "", err
	}
	steps := [][]string{{"init", "--quiet", "--initial-branch=main"}}
	if _, err := s.run(ctx, bare, "rev-parse", "--verify", "--quiet", "refs/heads/main"); err == nil {
		steps = append(steps, []string{"fetch", "--quiet", bare, "main"}, []string{"reset", "--quiet", "--soft", "FETCH_HEAD"})
	}
	steps = append(steps, []string{"add", "--all"})
	for _, st := range steps {
		if _, err := s.run(ctx, work, st...); err != nil {
			return "", err
		}
	}
	if _, err := s.run(ctx, work, "diff", "--cached", "--quiet"); err != nil { // something changed
		if _, err := s.run(ctx, work, "commit", "--quiet", "-m", "Sample "+m.Slug+" "+m.Version); err != nil {
			return "", err
		}
	}
	tag := "v" + m.Version
	if _, err := s.run(ctx, bare, "rev-parse", "--verify", "--quiet", "refs/tags/"+tag); err != nil {
		if _, err := s.run(ctx, work, "tag", "-a", "-m", "Release "+m.Version, tag); err != nil {
			return "", err
		}
	}
	_, err = s.run(ctx, work, "push", "--quiet", "--tags", bare, "HEAD:refs/heads/main")
	return m.Slug, err
}

// submit submits the sample's repository, or refreshes it when the registry has it.
func (s *samples) submit(ctx context.Context, base, token, slug string) error {
	var res struct {
		Problems []string `json:"problems"`
	}
	url := base + "/" + samplesDir + "/" + slug + ".git"
	status, body, err := callAPI(ctx, "POST", base+"/api/v1/apps", token, map[string]string{"git_url": url}, &res)
	if err == nil && status == http.StatusConflict {
		status, body, err = callAPI(ctx, "POST", base+"/api/v1/apps/"+slug+"/refresh", token, nil, &res)
	}
	if err != nil || (status != http.StatusCreated && status != http.StatusOK) {
		return fmt.Errorf("submit %s: %d %s %v", url, status, body, err)
	}
	for _, p := range res.Problems {
		s.log.Warn("sample app problem", "app", slug, "problem", p)
	}
	return nil
}

// run runs git in dir with a fixed identity and no user or system configuration.
func (s *samples) run(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, s.git, append([]string{"-c", "user.name=Hearth samples", "-c", "user.email=samples@hearth.invalid",
		"-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_TERMINAL_PROMPT=0")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// callAPI sends a JSON request to a registry and decodes a JSON answer into out.
func callAPI(ctx context.Context, method, url, token string, in, out any) (int, string, error) {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return 0, "", err
		}
		body = bytes.NewReader(data)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, "", err
	}
	if out != nil && len(data) > 0 && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, string(data), err
		}
	}
	return resp.StatusCode, string(data), nil
}
