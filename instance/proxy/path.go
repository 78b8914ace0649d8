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
	if strings.ContainsFunc(p, func(c rune) bool { return c == '\\' || c < 0x20 || c == 0x7f }) {
		return "", fmt.Errorf("%w: backslash or control character", ErrBadPath)
	}
	for i, rest := 0, p[1:]; ; i++ {
		seg, more, last := rest, "", true
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			seg, more, last = rest[:j], rest[j+1:], false
		}
		switch {
		case seg == "." || seg == "..":
			return "", fmt.Errorf("%w: dot segment", ErrBadPath)
		case seg == "" && !last:
			return "", fmt.Errorf("%w: empty segment", ErrBadPath)
		case strings.HasPrefix(seg, ".") && !(i == 0 && seg == ".well-known"):
			return "", fmt.Errorf("%w: hidden name", ErrNotFound)
		}
		if last {
			break
		}
		rest = more
	}
	name := strings.TrimPrefix(path.Clean(p), "/")
	if name == "" {
		name = "."
	}
	return name, nil
}
