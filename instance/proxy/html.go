package proxy

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"time"
)

// MaxHTMLSize bounds the HTML pages the proxy reads to add the token; larger pages are refused.
const MaxHTMLSize = 8 << 20

// PageConfig is what a page finds in window.hearth before its own scripts run.
type PageConfig struct {
	Instance string `json:"instance"`
	App      string `json:"app"`
	// Token is empty (null in the page) on a public route requested without a session.
	Token     *string `json:"token"`
	ExpiresAt int64   `json:"expires_at,omitempty"` // unix seconds, when known
}

// ConfigScript is the inline script that sets window.hearth, with the nonce the CSP allows.
// The configuration is JSON with <, >, & and U+2028/U+2029 escaped, so that no value can end
// the script or the JavaScript string it sits in.
func ConfigScript(cfg PageConfig, nonce string) ([]byte, error) {
	js, err := json.Marshal(cfg) // escapes <, >, &, U+2028 and U+2029
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`<script nonce="`)
	b.WriteString(nonce) // base64url: no quote can occur
	b.WriteString(`">window.hearth=`)
	b.Write(js)
	b.WriteString(";</script>")
	return b.Bytes(), nil
}

// InjectScript puts script into page: right after the <head> start tag, else right after the
// <body> start tag, else before everything. Right after <head> rather than before </head>, so
// that window.hearth is set before any script of the page's head runs.
func InjectScript(page, script []byte) []byte {
	at := afterStartTag(page, "head")
	if at < 0 {
		at = afterStartTag(page, "body")
	}
	if at < 0 {
		at = 0
	}
	out := make([]byte, 0, len(page)+len(script))
	out = append(out, page[:at]...)
	out = append(out, script...)
	return append(out, page[at:]...)
}

// afterStartTag is the offset just past the first <name ...> start tag, or -1.
func afterStartTag(page []byte, name string) int {
	lower := bytes.ToLower(page)
	open := []byte("<" + name)
	for from := 0; ; {
		i := bytes.Index(lower[from:], open)
		if i < 0 {
			return -1
		}
		i += from + len(open)
		if i < len(lower) && (lower[i] == '>' || lower[i] == '/' || isSpace(lower[i])) {
			if end := bytes.IndexByte(lower[i:], '>'); end >= 0 {
				return i + end + 1
			}
			return -1
		}
		from = i
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// serveHTML answers with a page carrying window.hearth: never cached, since it holds a token.
func (s *Static) serveHTML(w http.ResponseWriter, r *http.Request, f fs.File, info fs.FileInfo, session bool, code int) {
	if info.Size() > MaxHTMLSize {
		s.log.Warn("proxy: HTML page too large to serve", "app", s.app.Manifest.Slug, "size", info.Size())
		plainError(w, http.StatusInternalServerError)
		return
	}
	page, err := io.ReadAll(io.LimitReader(f, MaxHTMLSize+1))
	if err != nil {
		s.log.Error("proxy: read page", "app", s.app.Manifest.Slug, "err", err)
		plainError(w, http.StatusInternalServerError)
		return
	}
	cfg := PageConfig{Instance: s.app.Instance, App: s.app.Manifest.Slug}
	if session && s.app.TokenFor != nil {
		tok, err := s.app.TokenFor(r)
		if err != nil {
			s.log.Error("proxy: issue app token", "app", s.app.Manifest.Slug, "err", err)
			plainError(w, http.StatusInternalServerError)
			return
		}
		cfg.Token = &tok
		if s.app.TokenTTL > 0 {
			cfg.ExpiresAt = time.Now().Add(s.app.TokenTTL).Unix()
		}
	}
	nonce, err := newNonce()
	var script []byte
	if err == nil {
		script, err = ConfigScript(cfg, nonce)
	}
	if err != nil {
		s.log.Error("proxy: page script", "err", err)
		plainError(w, http.StatusInternalServerError)
		return
	}
	body := InjectScript(page, script)
	h := w.Header()
	SetSecurityHeaders(h, s.app.Instance, nonce)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// notFound answers 404 with the app's 404.html when it has one, else a short page.
func (s *Static) notFound(w http.ResponseWriter, r *http.Request, session bool) {
	if file, info, _, err := s.lookup("404.html"); err == nil {
		if f, err := s.open(file, info); err == nil {
			defer f.Close()
			s.serveHTML(w, r, f, info, session, http.StatusNotFound)
			return
		}
	}
	plainError(w, http.StatusNotFound)
}
