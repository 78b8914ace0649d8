package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

var errNginx = errors.New("hearthbench: nginx")

// nginxSite is what one nginx serves: the body of its only server block, after the listen
// line (for example `root /dir;` or `location / { proxy_pass http://…; }`), what goes before
// that block in the http block (an upstream), and the worker count.
type nginxSite struct {
	body    string
	http    string // directives of the http block, such as `upstream app { … }`; may be empty
	workers string // worker_processes: "auto" or a number
}

// nginxConfig writes a whole configuration of its own: everything nginx writes goes to dir
// (error log, pid, temporary files), no access log, nothing read from /etc/nginx.
func nginxConfig(addr, dir string, site nginxSite) string {
	var b strings.Builder
	if os.Geteuid() == 0 {
		// Workers would otherwise run as nobody, who may not read the harness's temporary
		// directories (created 0700).
		b.WriteString("user root;\n")
	}
	fmt.Fprintf(&b, `worker_processes %s;
pid %s;
error_log %s warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path %s;
    proxy_temp_path %s;
    types {
        text/html html htm; text/css css; text/javascript js mjs; application/json json;
        image/svg+xml svg; image/png png; text/plain txt;
    }
    default_type application/octet-stream;
    charset utf-8;
    charset_types text/css text/javascript application/json text/plain;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    server_tokens off;
%s
    server {
        listen %s;
        server_name _;
%s
    }
}
`, site.workers, filepath.Join(dir, "nginx.pid"), filepath.Join(dir, "error.log"),
		filepath.Join(dir, "body"), filepath.Join(dir, "proxy"), indent(site.http, "    "), addr, indent(site.body, "        "))
	return b.String()
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = pre + strings.TrimSpace(l)
	}
	return strings.Join(lines, "\n")
}

// startNginx runs nginx in the foreground on a free port with the configuration above, its
// files in dir; it returns the base URL and the master process, whose group holds the workers.
// The harness kills it at the end like any server.
func startNginx(ctx context.Context, ps *procs, name, dir string, site nginxSite) (string, *proc, error) {
	bin, err := nginxPath()
	if err != nil {
		return "", nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return "", nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, fmt.Errorf("%w: %w", errNginx, err)
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(nginxConfig(addr, dir, site)), 0o600); err != nil {
		return "", nil, fmt.Errorf("%w: %w", errNginx, err)
	}
	p, err := ps.start(spec{name: name, bin: bin, dir: dir,
		args: []string{"-c", conf, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-g", "daemon off;"}})
	if err != nil {
		return "", nil, err
	}
	url := "http://" + addr
	if err := p.waitHTTP(ctx, url+"/"); err != nil {
		b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		return "", nil, fmt.Errorf("%w\n%s", err, b)
	}
	return url, p, nil
}

// nginxPath finds nginx on PATH or in /usr/sbin, which is not on every user's PATH.
func nginxPath() (string, error) {
	if bin, err := exec.LookPath("nginx"); err == nil {
		return bin, nil
	}
	if bin, err := exec.LookPath("/usr/sbin/nginx"); err == nil {
		return bin, nil
	}
	return "", fmt.Errorf("%w: not installed (`make bench-deps` installs it)", errNginx)
}
