package proxy

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hearth-cloud/hearth/registry/manifest"
)

// ErrConfig is returned by NewStatic for an incomplete StaticApp.
var ErrConfig = errors.New("proxy: bad static app configuration")

// StaticApp is one static app of one instance, as the runtime mounts it on the app's origin.
type StaticApp struct {
	// Dir is the app's installed tree. Root, when set, is that tree already opened (so that
	// every instance with the same version shares one descriptor) and Dir is only used in
	// messages.
	Dir  string
	Root *os.Root
	// Manifest is the installed version's manifest: its slug and public routes.
	Manifest *manifest.Manifest
	// Instance is the instance's origin, such as "https://alice.example".
	Instance string
	// LoginURL is where requests without a session go; Instance + "/login" when empty. The
	// requested URL is added as the "next" query parameter.
	LoginURL string
	// TreeHash, when set, is the content hash of the tree: ETags derive from it, since an
	// installed tree never changes. Otherwise they derive from size and modification time.
	TreeHash string
	// Gate reports whether r carries a valid owner session for this app. Nil allows nobody:
	// only public routes are served.
	Gate func(r *http.Request) bool
	// TokenFor issues a short-lived token for exactly the app's approved scopes. It is only
	// called for HTML pages requested with a valid session.
	TokenFor func(r *http.Request) (string, error)
	// TokenTTL, when positive, is how long TokenFor's tokens live: pages get "expires_at" so
	// that hearth.js renews the token in time.
	TokenTTL time.Duration
	// Cache, when set, holds the app's small files in memory, keyed by TreeHash: it is meant
	// to be shared by every Static of a runtime. Nil, or no TreeHash, caches nothing.
	Cache  *FileCache
	Logger *slog.Logger
}

// Static serves a StaticApp. It is an http.Handler; Close releases the tree it opened.
type Static struct {
	app     StaticApp
	root    *os.Root
	ownRoot bool
	scheme  string     // of the instance, and so of the app's origin
	cache   *FileCache // nil without a tree hash
	policy  policy
	config  []byte // the pages' window.hearth up to the token (configPrefix)
	log     *slog.Logger
}

var _ http.Handler = (*Static)(nil)

// NewStatic checks app and opens its tree.
func NewStatic(app StaticApp) (*Static, error) {
	if app.Manifest == nil {
		return nil, fmt.Errorf("%w: no manifest", ErrConfig)
	}
	u, err := url.Parse(app.Instance)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("%w: instance %q is not an origin such as https://alice.example", ErrConfig, app.Instance)
	}
	app.Instance = u.Scheme + "://" + u.Host
	s := &Static{app: app, root: app.Root, scheme: u.Scheme, policy: newPolicy(app.Instance), log: app.Logger}
	if app.TreeHash != "" {
		s.cache = app.Cache
	}
	if s.config, err = configPrefix(app.Instance, app.Manifest.Slug); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.root == nil {
		if s.root, err = os.OpenRoot(app.Dir); err != nil {
			return nil, fmt.Errorf("%w: open tree: %w", ErrConfig, err)
		}
		s.ownRoot = true
	}
	return s, nil
}

// Close releases the tree when NewStatic opened it.
func (s *Static) Close() error {
	if s.ownRoot {
		return s.root.Close()
	}
	return nil
}

// ServeHTTP serves GET and HEAD requests for the app's files.
func (s *Static) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.policy.setSecurityHeaders(w.Header(), nil)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header()["Allow"] = hdrGetHead
		plainError(w, http.StatusMethodNotAllowed)
		return
	}
	name, err := filePath(r)
	if errors.Is(err, ErrBadPath) {
		plainError(w, http.StatusBadRequest)
		return
	}
	session := s.app.Gate != nil && s.app.Gate(r)
	if !session && !s.app.Manifest.IsPublic(r.URL.Path) {
		if !IsNavigation(r) {
			// A browser would refuse to follow a redirect to the login page for a
			// subresource (the CSP does not allow the instance) and log an error.
			w.Header()["Cache-Control"] = hdrNoStore
			plainError(w, http.StatusUnauthorized)
			return
		}
		s.redirectLogin(w, r)
		return
	}
	if err != nil {
		s.notFound(w, r, session)
		return
	}
	s.serve(w, r, name, session)
}

// IsNavigation reports whether r may be a browser's navigation to a page, as opposed to a
// script's fetch or a subresource (an image, a stylesheet, the favicon): Sec-Fetch-Mode is
// absent or "navigate", and Sec-Fetch-Dest absent or "document".
func IsNavigation(r *http.Request) bool {
	mode, dest := r.Header.Get("Sec-Fetch-Mode"), r.Header.Get("Sec-Fetch-Dest")
	return (mode == "" || mode == "navigate") && (dest == "" || dest == "document")
}

// redirectLogin sends the browser to the instance's login page, to come back to this URL.
func (s *Static) redirectLogin(w http.ResponseWriter, r *http.Request) {
	login := s.app.LoginURL
	if login == "" {
		login = s.app.Instance + "/login"
	}
	u, err := url.Parse(login)
	if err != nil {
		s.log.Error("proxy: bad login URL", "url", login, "err", err)
		plainError(w, http.StatusInternalServerError)
		return
	}
	q := u.Query()
	q.Set("next", s.scheme+"://"+r.Host+r.URL.RequestURI())
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", u.String())
	w.WriteHeader(http.StatusFound)
}

// plainError answers with a short text naming the status, nothing more.
func plainError(w http.ResponseWriter, code int) {
	h := w.Header()
	h["Content-Type"] = hdrPlain
	delete(h, "Etag")
	delete(h, "Last-Modified")
	w.WriteHeader(code)
	io.WriteString(w, http.StatusText(code)+"\n")
}

// redirectDir adds the trailing slash to a directory's URL, relative to the request.
func redirectDir(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	target := p[strings.LastIndexByte(p, '/')+1:] + "/"
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	w.Header().Set("Location", "./"+target)
	w.WriteHeader(http.StatusMovedPermanently)
}
