package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	at := injectAt(page)
	out := make([]byte, 0, len(page)+len(script))
	out = append(out, page[:at]...)
	out = append(out, script...)
	return append(out, page[at:]...)
}

// injectAt is where InjectScript puts the script in page.
func injectAt(page []byte) int {
	at := afterStartTag(page, "head")
	if at < 0 {
		at = afterStartTag(page, "body")
	}
	return max(at, 0)
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
func (s *Static) serveHTML(w http.ResponseWriter, r *http.Request, e *fileEntry, session bool, code int) {
	var token []byte // JSON, null without a session
	var expires int64
	if session && s.app.TokenFor != nil {
		tok, err := s.app.TokenFor(r)
		if err == nil {
			token, err = json.Marshal(tok) // escapes <, >, &, U+2028 and U+2029
		}
		if err != nil {
			s.log.Error("proxy: issue app token", "app", s.app.Manifest.Slug, "err", err)
			plainError(w, http.StatusInternalServerError)
			return
		}
		if s.app.TokenTTL > 0 {
			expires = time.Now().Add(s.app.TokenTTL).Unix()
		}
	}
	var nonce [nonceLen]byte
	if err := newNonce(&nonce); err != nil {
		s.log.Error("proxy: page nonce", "err", err)
		plainError(w, http.StatusInternalServerError)
		return
	}
	page := e.data
	body := make([]byte, 0, len(page)+len(s.config)+len(token)+96)
	body = append(body, page[:e.at]...)
	body = s.appendScript(body, nonce[:], token, expires)
	body = append(body, page[e.at:]...)
	h := w.Header()
	s.policy.setSecurityHeaders(h, nonce[:])
	h["Content-Type"] = hdrHTML
	h["Cache-Control"] = hdrNoStore
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// configPrefix is the JSON of the app's PageConfig up to its token: what every page of the
// app shares.
func configPrefix(instance, app string) ([]byte, error) {
	js, err := json.Marshal(PageConfig{Instance: instance, App: app})
	if err != nil {
		return nil, err
	}
	prefix, ok := bytes.CutSuffix(js, []byte("null}"))
	if !ok {
		return nil, fmt.Errorf("proxy: page configuration %s does not end with its token", js)
	}
	return prefix, nil
}

// appendScript appends the page's script, as ConfigScript makes it, to b. token is the
// token's JSON, nil for null.
func (s *Static) appendScript(b, nonce, token []byte, expires int64) []byte {
	b = append(b, `<script nonce="`...)
	b = append(b, nonce...)
	b = append(b, `">window.hearth=`...)
	b = append(b, s.config...)
	if token == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, token...)
	}
	if expires != 0 {
		b = append(b, `,"expires_at":`...)
		b = strconv.AppendInt(b, expires, 10)
	}
	return append(b, "};</script>"...)
}

// notFound answers 404 with the app's 404.html when it has one, else a short page.
func (s *Static) notFound(w http.ResponseWriter, r *http.Request, session bool) {
	if e, f, err := s.find("404.html"); err == nil {
		if f != nil {
			f.Close()
		}
		if e.html && e.data != nil {
			s.serveHTML(w, r, e, session, http.StatusNotFound)
			return
		}
	}
	plainError(w, http.StatusNotFound)
}
