package proxy

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"time"
)

//go:embed hearth.js
var clientScript []byte

// ClientScript serves hearth.js, the client apps load from /hearth.js on their own origin or
// the instance's. It reads the page's window.hearth (instance, app, token) and adds
// hearth.token(), hearth.data(doctype) and hearth.realtime(doctype, onEvent).
func ClientScript() http.Handler {
	sum := sha256.Sum256(clientScript)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			plainError(w, http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache")
		h.Set("Cross-Origin-Resource-Policy", "same-site")
		h.Set("ETag", etag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(clientScript))
	})
}
