package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Handler returns the handler of app's requests: it starts the app when needed and proxies
// to it (HTTP and WebSocket, streamed responses unbuffered, X-Forwarded-For, -Host and
// -Proto set). When the app cannot answer, it answers 502 or 503 with a short message for
// the owner, in HTML or JSON after the request's Accept header.
func (c *Controller) Handler(app App) http.Handler {
	invalid := app.check()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if invalid != nil {
			writeUnavailable(w, r, &unavailable{status: http.StatusInternalServerError, msg: "this app cannot run: " + ownerText(invalid)})
			return
		}
		p := c.proc(app.Instance, app.Slug)
		if err := p.acquire(r.Context(), app); err != nil {
			var u *unavailable
			if errors.As(err, &u) {
				writeUnavailable(w, r, u)
			}
			return // else the client left
		}
		defer p.release()
		p.serve(w, r)
	})
}

// serve proxies r to the running app.
func (p *proc) serve(w http.ResponseWriter, r *http.Request) {
	if isPlain(r) {
		p.forward(w, r)
		return
	}
	p.proxy.ServeHTTP(w, r)
}

// unavailable is an answer the app could not give: a status and a message for the owner.
type unavailable struct {
	status int
	msg    string
	retry  time.Duration // for Retry-After
}

func (u *unavailable) Error() string { return u.msg }

// safeMessage is the message of err the owner may read; "" for an internal error.
func safeMessage(err error) string {
	var u *unavailable
	switch {
	case errors.As(err, &u):
		return u.msg
	case errors.Is(err, ErrClosed):
		return "the server is shutting down"
	case errors.Is(err, ErrBuild), errors.Is(err, ErrNodeMissing), errors.Is(err, ErrInvalidApp):
		return "the app could not be installed: " + ownerText(err) + "; its logs are on your home page"
	}
	return ""
}

// ownerText is a safe error's message without the package's prefix.
func ownerText(err error) string { return strings.TrimPrefix(err.Error(), "controller: ") }

const unavailablePage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>%s</title></head>` +
	`<body><h1>%s</h1><p style="white-space:pre-wrap">%s</p></body></html>`

func writeUnavailable(w http.ResponseWriter, r *http.Request, u *unavailable) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if u.retry > 0 {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(u.retry.Seconds()))))
	}
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		h.Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(u.status)
		title := html.EscapeString("This app is unavailable")
		fmt.Fprintf(w, unavailablePage, title, title, html.EscapeString(u.msg))
		return
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(u.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": "app_unavailable", "reason": u.msg})
}

func (p *proc) newProxy() *httputil.ReverseProxy {
	target := &url.URL{Scheme: "http", Host: "app"}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
			pr.Out.Host = pr.In.Host
		},
		Transport: p.transport,
		// Responses of unknown length (streams) are flushed as they come whatever this says;
		// the others need no flushing.
		FlushInterval: 0,
		BufferPool:    proxyBuffers{},
		ErrorLog:      slog.NewLogLogger(p.c.log.Handler(), slog.LevelWarn),
		ErrorHandler:  p.proxyError,
	}
}

// proxyError answers a request the app did not answer.
func (p *proc) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client left
	}
	p.c.log.Warn("controller: an app did not answer", "instance", p.instance, "slug", p.slug, "err", err)
	msg := "the app did not answer; its logs are on your home page"
	p.mu.Lock()
	if p.state == StateCrashed {
		msg = p.lastError
	}
	p.mu.Unlock()
	writeUnavailable(w, r, &unavailable{status: http.StatusBadGateway, msg: msg})
}

// dialSocket connects to the unix socket at path, which must be a socket, not a symbolic
// link: the app owns the socket's directory, and could otherwise send the runtime to another
// app's socket, which it may not reach itself.
func dialSocket(ctx context.Context, path string) (net.Conn, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("open", err)}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("fstat", err)}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return nil, &net.OpError{Op: "dial", Net: "unix", Err: fmt.Errorf("%s is not a socket", path)}
	}
	var d net.Dialer
	return d.DialContext(ctx, "unix", "/proc/self/fd/"+strconv.Itoa(fd))
}
