package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

var errNodeApp = errors.New("hearthbench: node app")

// nodeApp is a node app installed on an instance, with the owner's session on its origin.
type nodeApp struct {
	br     *browser
	c      *http.Client // the harness's client, for requests to other servers
	host   string       // the app's origin: {slug}.{instance}
	cookie string       // the app session cookie's value
}

// nodeSession adds the instance sub.bench.localhost:PORT (bench.localhost:PORT when sub is
// empty), installs the app from repo, claims the instance and opens the app's hand-off, as
// the owner would in a browser. The app itself is not requested.
func (b *bench) nodeSession(ctx context.Context, h *appHearth, sub, repo, slug string) (*nodeApp, error) {
	domain := h.domain(sub)
	if _, err := h.install(ctx, b.c, domain, repo); err != nil {
		return nil, err
	}
	br := newBrowser(strings.TrimPrefix(h.public, "http://"))
	if err := br.onboard(ctx, h, domain); err != nil {
		return nil, err
	}
	host := slug + "." + domain
	cookie, err := br.openApp(ctx, "http://"+host+nodeHealthPath)
	if err != nil {
		return nil, err
	}
	return &nodeApp{br: br, c: b.c, host: host, cookie: cookie}, nil
}

// cookieHeader is the request header carrying the app's session.
func (a *nodeApp) cookieHeader() string { return "Cookie: " + appCookie + "=" + a.cookie }

// first requests the health check from hearth in the owner's browser and returns the time
// from sending the request to the first byte of the answer, which is checked.
func (a *nodeApp) first(ctx context.Context) (time.Duration, error) {
	var start, first time.Time
	trace := &httptrace.ClientTrace{
		WroteRequest:         func(httptrace.WroteRequestInfo) { start = time.Now() },
		GotFirstResponseByte: func() { first = time.Now() },
	}
	resp, body, err := a.br.do(httptrace.WithClientTrace(ctx, trace), http.MethodGet, "http://"+a.host+nodeHealthPath, nil)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK || body != nodeHealthBody {
		return 0, fmt.Errorf("%w: GET http://%s%s: %d %.300q", errNodeApp, a.host, nodeHealthPath, resp.StatusCode, body)
	}
	return first.Sub(start), nil
}

// check requests the health check from the server at base, with the Host and Cookie headers
// that wrk sends, and checks the answer.
func (a *nodeApp) check(ctx context.Context, base string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+nodeHealthPath, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errNodeApp, err)
	}
	req.Host = a.host
	name, value, _ := strings.Cut(a.cookieHeader(), ": ")
	req.Header.Set(name, value)
	resp, err := a.c.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: GET %s%s: %w", errNodeApp, base, nodeHealthPath, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: read %s%s: %w", errNodeApp, base, nodeHealthPath, err)
	}
	if resp.StatusCode != http.StatusOK || string(body) != nodeHealthBody {
		return nil, nil, fmt.Errorf("%w: GET %s%s (Host %s): %d %.300q", errStatus, base, nodeHealthPath, a.host, resp.StatusCode, body)
	}
	return resp, body, nil
}

// nodeManifest is what the harness reads of a node app's hearth.json.
type nodeManifest struct {
	Slug string `json:"slug"`
	Node struct {
		Start []string `json:"start"`
	} `json:"node"`
}

// readNodeManifest reads the manifest of the app at dir.
func readNodeManifest(dir string) (nodeManifest, error) {
	var m nodeManifest
	raw, err := os.ReadFile(filepath.Join(dir, "hearth.json"))
	if err != nil {
		return m, fmt.Errorf("%w: %w", errNodeApp, err)
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, fmt.Errorf("%w: %s: %w", errNodeApp, dir, err)
	}
	if m.Slug == "" || len(m.Node.Start) == 0 {
		return m, fmt.Errorf("%w: %s/hearth.json names no slug or no node start command", errNodeApp, dir)
	}
	return m, nil
}

// appSockets lists the sockets of the node apps running on the hearth with data directory data
// ({data}/apps/node/run/<id>/app.sock, instance/apps/controller's layout).
func appSockets(data string) ([]string, error) {
	socks, err := filepath.Glob(filepath.Join(data, "apps", "node", "run", "*", "app.sock"))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errNodeApp, err)
	}
	return socks, nil
}

// appSocket is the socket of the only node app running on that hearth.
func appSocket(data string) (string, error) {
	socks, err := appSockets(data)
	if err != nil {
		return "", err
	}
	if len(socks) != 1 {
		return "", fmt.Errorf("%w: %d sockets under %s/apps/node/run, want one", errNodeApp, len(socks), data)
	}
	return socks[0], nil
}

// startNodeDirect runs the app alone, as hearth built it (its build directory, with its
// dependencies), listening on a free 127.0.0.1 port; it returns the base URL and the process.
func (b *bench) startNodeDirect(ctx context.Context, h *appHearth, m nodeManifest) (string, *proc, error) {
	builds, err := filepath.Glob(filepath.Join(h.data, "apps", "node", "builds", "*"))
	if err != nil || len(builds) != 1 {
		return "", nil, fmt.Errorf("%w: want one build directory under %s/apps/node/builds, found %d (%v)", errNodeApp, h.data, len(builds), err)
	}
	bin, err := exec.LookPath(m.Node.Start[0])
	if err != nil {
		return "", nil, fmt.Errorf("%w: %w", errNodeApp, err)
	}
	addr, err := freeAddr()
	if err != nil {
		return "", nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	b.progress("starting the app alone on %s", addr)
	p, err := b.ps.start(spec{name: "node direct", bin: bin, args: m.Node.Start[1:], dir: builds[0],
		env: []string{"PORT=" + port, "HEARTH_SOCKET=", "NODE_ENV=production"}})
	if err != nil {
		return "", nil, err
	}
	url := "http://" + addr
	if err := p.waitHTTP(ctx, url+nodeHealthPath); err != nil {
		return "", nil, err
	}
	return url, p, nil
}

// nodeNginxSite proxies every request to the app's unix socket as a self-hoster would put
// nginx in front of it: keep-alive upstream connections, the Host and X-Forwarded headers
// that hearth's proxy sets too.
func nodeNginxSite(sock, workers string) nginxSite {
	return nginxSite{workers: workers,
		http: fmt.Sprintf("upstream node_app {\nserver unix:%s;\nkeepalive 32;\n}", sock),
		body: `location / {
proxy_pass http://node_app;
proxy_http_version 1.1;
proxy_set_header Connection "";
proxy_set_header Host $http_host;
proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
proxy_set_header X-Forwarded-Host $http_host;
proxy_set_header X-Forwarded-Proto $scheme;
}`}
}
