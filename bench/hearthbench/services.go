package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hearth-cloud/hearth/internal/testsvc"
)

var errStatus = errors.New("hearthbench: unexpected HTTP status")

// hearth is a running `hearth serve` process.
type hearth struct {
	proc   *proc
	public string // base URL of the public listener
	admin  string // base URL of the admin listener
	secret string // admin API secret
}

// startHearth runs `hearth serve` on free ports with its own data directory, plus extra flags.
func startHearth(ctx context.Context, ps *procs, bin, name, dataDir string, extra ...string) (*hearth, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	adminAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve", "--addr", addr, "--admin-addr", adminAddr,
		"--data-dir", dataDir, "--log-level", "warn"}, extra...)
	p, err := ps.start(spec{name: name, bin: bin, args: args, dir: ps.dir})
	if err != nil {
		return nil, err
	}
	h := &hearth{proc: p, public: "http://" + addr, admin: "http://" + adminAddr}
	if err := p.waitHTTP(ctx, h.admin+"/health"); err != nil {
		return nil, err
	}
	secret, err := os.ReadFile(filepath.Join(dataDir, "admin.secret"))
	if err != nil {
		return nil, fmt.Errorf("hearthbench: %s admin secret: %w", name, err)
	}
	h.secret = strings.TrimSpace(string(secret))
	return h, nil
}

// addInstance creates an instance through the admin API.
func (h *hearth) addInstance(ctx context.Context, c *http.Client, domain string) error {
	body, _ := json.Marshal(map[string]string{"domain": domain})
	st, resp, err := call(ctx, c, http.MethodPost, h.admin+"/instances", "", h.secret, body)
	if err != nil {
		return err
	}
	if st != http.StatusCreated {
		return fmt.Errorf("%w: POST /instances %s: %d %s", errStatus, domain, st, resp)
	}
	return nil
}

// token issues a bearer token on an instance for the given scopes.
func (h *hearth) token(ctx context.Context, c *http.Client, domain string, scopes ...string) (string, error) {
	body, _ := json.Marshal(map[string]any{"scopes": scopes})
	st, resp, err := call(ctx, c, http.MethodPost, h.admin+"/instances/"+domain+"/tokens", "", h.secret, body)
	if err != nil {
		return "", err
	}
	var out struct {
		Token string `json:"token"`
	}
	if st/100 != 2 || json.Unmarshal(resp, &out) != nil || out.Token == "" {
		return "", fmt.Errorf("%w: POST /instances/%s/tokens: %d %s", errStatus, domain, st, resp)
	}
	return out.Token, nil
}

// startPouchDB runs pouchdb-server (leveldb mode) on a free port with its data in dir.
func startPouchDB(ctx context.Context, ps *procs, name, dir string) (string, error) {
	mods, err := testsvc.NodeModulesDir()
	if err != nil {
		return "", err
	}
	addr, err := freeAddr()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("hearthbench: %w", err)
	}
	_, port, _ := net.SplitHostPort(addr)
	bin := filepath.Join(mods, ".bin", "pouchdb-server")
	p, err := ps.start(spec{name: name, bin: bin, args: []string{"--port", port, "--dir", dir},
		env: []string{"NODE_OPTIONS=--unhandled-rejections=warn"}, dir: dir})
	if err != nil {
		return "", err
	}
	url := "http://" + addr
	if err := p.waitHTTP(ctx, url+"/"); err != nil {
		return "", err
	}
	return url, nil
}

// startRedis runs redis-server without persistence on a free port; it returns its URL.
func startRedis(ctx context.Context, ps *procs) (string, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", fmt.Errorf("hearthbench: redis-server: %w", err)
	}
	addr, err := freeAddr()
	if err != nil {
		return "", err
	}
	_, port, _ := net.SplitHostPort(addr)
	p, err := ps.start(spec{name: "redis", bin: bin, args: []string{"--port", port,
		"--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}, dir: ps.dir})
	if err != nil {
		return "", err
	}
	deadline := time.Now().Add(startTimeout)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return "redis://" + addr + "/0", nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("%w: redis at %s: %v\n%s", errNotReady, addr, err, p.logTail())
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-p.exited:
			return "", fmt.Errorf("%w: redis exited\n%s", errNotReady, p.logTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
