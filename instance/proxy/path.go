package proxy

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Errors of request paths.
var (
	ErrBadPath  = errors.New("proxy: bad path")
	ErrNotFound = errors.New("proxy: not found")
)

// filePath turns a request's URL path into a name relative to the app's directory ("." for
// the root). It refuses, with ErrBadPath, encoded dots, slashes, backslashes and NUL in the
// raw path, and backslashes, control characters and "." or ".." segments in the decoded one:
// a path the app would resolve differently from us is never served. Hidden names (a segment
// beginning with '.') are not found, except under .well-known.
func filePath(r *http.Request) (string, error) {
	raw := r.URL.EscapedPath()
	for i := 0; i+2 < len(raw); i++ {
		if raw[i] != '%' {
			continue
		}
		switch enc := raw[i+1 : i+3]; {
		case strings.EqualFold(enc, "2e"), strings.EqualFold(enc, "2f"), strings.EqualFold(enc, "5c"), enc == "00":
			return "", fmt.Errorf("%w: encoded %%%s", ErrBadPath, strings.ToLower(enc))
		}
	}
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("%w: not absolute", ErrBadPath)
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c == '\\' || c < 0x20 || c == 0x7f {
			return "", fmt.Errorf("%w: backslash or control character", ErrBadPath)
		}
	}
	for i, rest, more := 0, p[1:], true; more; i++ {
		var seg string
		seg, rest, more = strings.Cut(rest, "/")
		switch {
		case seg == "." || seg == "..":
			return "", fmt.Errorf("%w: dot segment", ErrBadPath)
		case seg == "" && more:
			return "", fmt.Errorf("%w: empty segment", ErrBadPath)
		case strings.HasPrefix(seg, ".") && !(i == 0 && seg == ".well-known"):
			return "", fmt.Errorf("%w: hidden name", ErrNotFound)
		}
	}
	// Checked so, the path is clean but for a trailing slash.
	name := strings.TrimSuffix(p[1:], "/")
	if name == "" {
		name = "."
	}
	return name, nil
}
