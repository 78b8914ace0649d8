package proxy

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"strings"
)

// Header values that never change, shared by every response (read-only).
var (
	hdrNoCache    = headerValue("no-cache")
	hdrNoStore    = headerValue("no-store")
	hdrBytes      = headerValue("bytes")
	hdrGzip       = headerValue("gzip")
	hdrVaryAE     = headerValue("Accept-Encoding")
	hdrHTML       = headerValue("text/html; charset=utf-8")
	hdrPlain      = headerValue("text/plain; charset=utf-8")
	hdrGetHead    = headerValue("GET, HEAD")
	hdrNosniff    = headerValue("nosniff")
	hdrSameOrigin = headerValue("same-origin")
	hdrDeny       = headerValue("DENY")
)

// serve answers with the file name stands for.
func (s *Static) serve(w http.ResponseWriter, r *http.Request, name string, session bool) {
	e, f, err := s.find(name)
	switch {
	case errors.Is(err, ErrNotFound):
		s.notFound(w, r, session)
		return
	case errors.Is(err, errTooLarge):
		s.log.Warn("proxy: HTML page too large to serve", "app", s.app.Manifest.Slug, "err", err)
		plainError(w, http.StatusInternalServerError)
		return
	case err != nil:
		s.log.Error("proxy: read file", "app", s.app.Manifest.Slug, "err", err)
		plainError(w, http.StatusInternalServerError)
		return
	}
	if f != nil {
		defer f.Close()
	}
	if e.dir && !strings.HasSuffix(r.URL.Path, "/") {
		redirectDir(w, r)
		return
	}
	if e.html {
		s.serveHTML(w, r, e, session, http.StatusOK)
		return
	}
	serveFile(w, r, e, f)
}

// serveFile answers with a file that is not HTML: from memory when the entry holds it, with
// its gzip variant when the client takes it; else from f.
func serveFile(w http.ResponseWriter, r *http.Request, e *fileEntry, f *os.File) {
	h := w.Header()
	h["Cache-Control"] = hdrNoCache
	if e.gz != nil {
		h["Vary"] = hdrVaryAE
	}
	if e.data == nil || needsServeContent(r.Header) {
		// Ranges and the rarer preconditions: net/http knows them all.
		h["Content-Type"] = e.ctype
		h["Etag"] = e.etag
		if e.data == nil {
			http.ServeContent(w, r, "", e.modTime, f)
		} else {
			http.ServeContent(w, r, "", e.modTime, bytes.NewReader(e.data))
		}
		return
	}
	body, etag, length := e.data, e.etag, e.length
	gz := e.gz != nil && acceptsGzip(r.Header["Accept-Encoding"])
	if gz {
		body, etag, length = e.gz, e.gzETag, e.gzLength
	}
	h["Etag"] = etag
	if inm := r.Header["If-None-Match"]; inm != nil && etagListMatch(inm, etag[0]) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = e.ctype
	h["Last-Modified"] = e.lastMod
	h["Content-Length"] = length
	if gz {
		h["Content-Encoding"] = hdrGzip
	} else {
		h["Accept-Ranges"] = hdrBytes
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// needsServeContent reports whether a request asks for a range or has a precondition other
// than If-None-Match (If-Modified-Since counts only without it, as RFC 9110 says).
func needsServeContent(h http.Header) bool {
	for _, k := range [...]string{"Range", "If-Range", "If-Match", "If-Unmodified-Since"} {
		if h[k] != nil {
			return true
		}
	}
	return h["If-Modified-Since"] != nil && h["If-None-Match"] == nil
}

// etagListMatch reports whether an If-None-Match header's values name etag, with the weak
// comparison RFC 9110 prescribes for it.
func etagListMatch(values []string, etag string) bool {
	for _, v := range values {
		for v != "" {
			var tag string
			tag, v, _ = strings.Cut(v, ",")
			tag = strings.TrimSpace(tag)
			if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
				return true
			}
			v = strings.TrimSpace(v)
		}
	}
	return false
}

// acceptsGzip reports whether an Accept-Encoding header's values accept gzip: the coding
// named, without a zero weight.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for v != "" {
			var coding string
			coding, v, _ = strings.Cut(v, ",")
			name, params, _ := strings.Cut(coding, ";")
			if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
				continue
			}
			return !zeroWeight(params)
		}
	}
	return false
}

// zeroWeight reports whether a coding's parameters hold q=0 (or 0.0, 0.00, 0.000).
func zeroWeight(params string) bool {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			v = strings.TrimSpace(v)
			return v == "0" || (strings.HasPrefix(v, "0.") && strings.Trim(v[2:], "0") == "")
		}
	}
	return false
}
