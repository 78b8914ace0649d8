package proxy

import (
	"errors"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"testing"
)

// refFilePath is filePath as first written, plainly: filePath must agree with it.
func refFilePath(r *http.Request) (string, error) {
	raw := strings.ToLower(r.URL.EscapedPath())
	for _, enc := range []string{"%2e", "%2f", "%5c", "%00"} {
		if strings.Contains(raw, enc) {
			return "", ErrBadPath
		}
	}
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") {
		return "", ErrBadPath
	}
	if strings.ContainsFunc(p, func(c rune) bool { return c == '\\' || c < 0x20 || c == 0x7f }) {
		return "", ErrBadPath
	}
	segs := strings.Split(p[1:], "/")
	for i, s := range segs {
		switch {
		case s == "." || s == "..":
			return "", ErrBadPath
		case s == "" && i != len(segs)-1:
			return "", ErrBadPath
		case strings.HasPrefix(s, ".") && !(i == 0 && s == ".well-known"):
			return "", ErrNotFound
		}
	}
	name := strings.TrimPrefix(path.Clean(p), "/")
	if name == "" {
		name = "."
	}
	return name, nil
}

func FuzzFilePath(f *testing.F) {
	for _, seed := range []string{
		"/", "/index.html", "/public/", "/a/b/c.css", "/.well-known/x", "/a/.well-known", "/.git/config",
		"/../x", "/a/./b", "//x", "/a//b", "/%2e%2e/x", "/%2E/", "/a%2fb", "/a%5Cb", "/a%00", "/%", "/%2",
		"/a%25", "/%41b", "/x%0a", "/a\\b", "/caf%C3%A9", "/a/..", "/a/.", "/.", "/..", "/a.b/c.d",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, target string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		r := &http.Request{URL: u}
		got, gotErr := filePath(r)
		want, wantErr := refFilePath(r)
		if got != want || errors.Is(gotErr, ErrBadPath) != errors.Is(wantErr, ErrBadPath) ||
			errors.Is(gotErr, ErrNotFound) != errors.Is(wantErr, ErrNotFound) {
			t.Fatalf("filePath(%q) = %q, %v; want %q, %v", target, got, gotErr, want, wantErr)
		}
	})
}

func TestValidSlug(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^[a-z][a-z0-9-]{1,31}$`)
	for _, s := range []string{"", "a", "ab", "notes", "my-notes", "n0tes", "0notes", "-notes", "Notes", "no_tes",
		"no.tes", "abcdefghijklmnopqrstuvwxyz012345", "abcdefghijklmnopqrstuvwxyz0123456", "a-", "é-notes", "a\x00"} {
		if got, want := ValidSlug(s), re.MatchString(s); got != want {
			t.Errorf("ValidSlug(%q) = %v, want %v", s, got, want)
		}
	}
}
