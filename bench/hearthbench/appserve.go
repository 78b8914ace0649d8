package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/hearth-cloud/hearth/instance/admin"
	"github.com/hearth-cloud/hearth/instance/apps"
)

// appSlug is the slug of the fixture app (static-notes' manifest); appFile is the file its
// public route serves that the app-serving phases request.
const (
	appSlug = "notes"
	appFile = "/public/about.css"
)

// appHearth is a hearth runtime that installs apps from the harness's Git server.
type appHearth struct {
	*hearth
	adm  *admin.Client
	port string // of the public listener: instance domains carry it
	data string // data directory
}

// gitRepoURL returns the URL of a repository holding the fixture app at dir, starting the Git
// server on first use and making each fixture's repository once.
func (b *bench) gitRepoURL(ctx context.Context, dir string) (string, error) {
	if !b.gitTried {
		b.gitTried = true
		b.git, b.gitErr = startGitServer(filepath.Join(b.tmp, "git"))
		b.gitRepos = map[string]string{}
	}
	if b.gitErr != nil {
		return "", b.gitErr
	}
	if url, ok := b.gitRepos[dir]; ok {
		return url, nil
	}
	b.progress("serving %s from a Git repository", dir)
	url, err := b.git.add(ctx, filepath.Base(dir), dir)
	if err != nil {
		return "", err
	}
	b.gitRepos[dir] = url
	return url, nil
}

func (b *bench) stopGit() {
	if b.git != nil {
		b.git.stop()
	}
}

// startAppHearth starts a hearth allowed to install from the loopback Git server.
func (b *bench) startAppHearth(ctx context.Context, name string) (*appHearth, error) {
	dir := filepath.Join(b.tmp, strings.ReplaceAll(name, " ", "-"))
	b.progress("starting %s", name)
	h, err := startHearth(ctx, b.ps, b.cfg.hearth, name, dir, "--allow-private-git")
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(h.public)
	if err != nil {
		return nil, fmt.Errorf("hearthbench: %w", err)
	}
	return &appHearth{hearth: h, port: u.Port(), data: dir,
		adm: &admin.Client{URL: h.admin, Secret: h.secret, HTTP: b.c}}, nil
}

// domain is the instance bench.localhost, or sub.bench.localhost when sub is not empty, with
// the listener's port, as a browser names it (Chromium resolves *.localhost to loopback).
func (h *appHearth) domain(sub string) string {
	d := "bench.localhost:" + h.port
	if sub != "" {
		d = sub + "." + d
	}
	return d
}

// install adds the instance domain and installs the fixture app on it through the admin API,
// as the owner would: plan, then accept. It returns the app's tree hash.
func (h *appHearth) install(ctx context.Context, c *http.Client, domain, repo string) (string, error) {
	if err := h.addInstance(ctx, c, domain); err != nil {
		return "", err
	}
	plan, err := h.adm.PrepareApp(ctx, domain, apps.Source{URL: repo, Ref: appRef})
	if err != nil {
		return "", fmt.Errorf("hearthbench: plan the app on %s: %w", domain, err)
	}
	if _, err := h.adm.AcceptPlan(ctx, domain, plan.ID); err != nil {
		return "", fmt.Errorf("hearthbench: accept the app's plan on %s: %w", domain, err)
	}
	return plan.Tree, nil
}

// fetchExpect GETs path from base with the given Host and checks it answers 200 with want
// (when not nil); it returns the response, its body read.
func fetchExpect(ctx context.Context, c *http.Client, base, host, path string, want []byte) (*http.Response, []byte, error) {
	resp, err := send(ctx, c, http.MethodGet, base+path, host, "", nil)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("hearthbench: read %s%s: %w", host, path, err)
	}
	if resp.StatusCode != http.StatusOK || (want != nil && !bytes.Equal(body, want)) {
		if len(body) > 300 {
			body = body[:300]
		}
		return nil, nil, fmt.Errorf("%w: GET %s%s (Host %s): %d %q", errStatus, base, path, host, resp.StatusCode, body)
	}
	return resp, body, nil
}
