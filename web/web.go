// Package web holds the instance's own pages: HTML templates and CSS (embedded), and what the
// page handlers share: rendering with a Content-Security-Policy nonce, CSRF tokens bound to a
// session, and the cookie rules (HttpOnly, SameSite=Lax, host-only, Secure over TLS).
package web

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// View is what every page template receives.
type View struct {
	Title    string // page title, before " · Hearth"
	Instance string // the instance's domain
	LoggedIn bool
	CSRF     string // the token every form posts as "csrf"
	Nonce    string // CSP nonce of inline scripts (none today) and styles
	Notice   string // a success message
	Error    string // a message safe to show
	Data     any    // the page's own data
}

// Pages renders the page templates. The zero value is not usable: call Load.
type Pages struct {
	pages map[string]*template.Template
	log   *slog.Logger
}

var funcs = template.FuncMap{
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		d := time.Since(t).Round(time.Second)
		switch {
		case d < time.Minute:
			return "just now"
		case d < time.Hour:
			return fmt.Sprintf("%d min ago", int(d.Minutes()))
		case d < 48*time.Hour:
			return fmt.Sprintf("%d h ago", int(d.Hours()))
		}
		return fmt.Sprintf("%d days ago", int(d.Hours()/24))
	},
	"date": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
}

// Load parses every page, each with the shared layout.
func Load(log *slog.Logger) (*Pages, error) {
	return loadPages(templateFS, "templates", nil, log)
}

// loadPages parses every page dir/*.html of fsys, each with dir/layout.html, with funcs and
// extra as template functions.
func loadPages(fsys fs.FS, dir string, extra template.FuncMap, log *slog.Logger) (*Pages, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	names, err := fs.Glob(fsys, dir+"/*.html")
	if err != nil {
		return nil, err
	}
	p := &Pages{pages: map[string]*template.Template{}, log: log}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, dir+"/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).Funcs(extra).ParseFS(fsys, dir+"/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", n, err)
		}
		p.pages[name] = t
	}
	return p, nil
}

// Render writes the page name with status. The page is rendered into memory first, so that
// a template error answers 500 instead of half a page.
func (p *Pages) Render(w http.ResponseWriter, status int, name string, v View) {
	t, ok := p.pages[name]
	if !ok {
		p.log.Error("web: no such page", "page", name)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	if v.Nonce == "" {
		v.Nonce = Nonce()
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		p.log.Error("web: render", "page", name, "err", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	SetPageHeaders(w.Header(), v.Nonce)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// SetPageHeaders puts the security headers of the instance's pages: nothing from elsewhere,
// no framing, no caching of pages that show the owner's data.
func SetPageHeaders(h http.Header, nonce string) {
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self' 'nonce-"+nonce+"'; img-src 'self' data:; "+
		"script-src 'self' 'nonce-"+nonce+"'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// Assets serves the embedded CSS and images under the prefix it is mounted at (strip it first).
func Assets() http.Handler {
	return serveAssets(subFS(staticFS, "static"))
}

// serveAssets serves the files of fsys as Assets does.
func serveAssets(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}

// subFS is the embedded directory dir of fsys.
func subFS(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // the embedded directory exists: a build error, not a runtime one
	}
	return sub
}

// Nonce returns a fresh random CSP nonce.
func Nonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported systems
	return base64.RawURLEncoding.EncodeToString(b[:])
}
