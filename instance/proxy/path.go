package proxy

import (
	"errors"
	"fmt"
	"net/http"
	"path"
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
	raw := strings.ToLower(r.URL.EscapedPath())
	for _, enc := range []string{"%2e", "%2f", "%5c", "%00"} {
		if strings.Contains(raw, enc) {
			return "", fmt.Errorf("%w: encoded %s", ErrBadPath, enc)
		}
	}
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("%w: not absolute", ErrBadPath)
	}
	if strings.ContainsFunc(p, func(c rune) bool { return c == '\\' || c < 0x20 || c == 0x7f }) {
		return "", fmt.Errorf("%w: backslash or control character", ErrBadPath)
	}
	segs := strings.Split(p[1:], "/")
	for i, s := range segs {
		switch {
		case s == "." || s == "..":
			return "", fmt.Errorf("%w: dot segment", ErrBadPath)
		case s == "" && i != len(segs)-1:
			return "", fmt.Errorf("%w: empty segment", ErrBadPath)
		case strings.HasPrefix(s, ".") && !(i == 0 && s == ".well-known"):
			return "", fmt.Errorf("%w: hidden name", ErrNotFound)
		}
	}
	name := strings.TrimPrefix(path.Clean(p), "/")
	if name == "" {
		name = "."
	}
	return name, nil
}
