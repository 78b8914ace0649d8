package manifest

import (
	"net/url"
	"path"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// text checks a human-readable string: at most max characters, no control characters (a
// multi-line text may hold newlines and tabs), no bidirectional overrides, and for a
// one-line text no leading or trailing space.
func (p *problems) text(field, s string, max int, required, multiline bool) {
	if strings.TrimSpace(s) == "" {
		if required {
			p.add(field, "required")
		} else if s != "" {
			p.add(field, "is blank; leave it out instead")
		}
		return
	}
	if n := utf8.RuneCountInString(s); n > max {
		p.add(field, "%d characters, at most %d", n, max)
		return
	}
	for _, r := range s {
		if multiline && (r == '\n' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == utf8.RuneError {
			p.add(field, "contains the character %U, which is not allowed", r)
			return
		}
	}
	if !multiline && strings.TrimSpace(s) != s {
		p.add(field, "begins or ends with spaces")
	}
}

// word checks s against a pattern, with a description of the pattern for the message.
func (p *problems) word(field, s string, re *regexp.Regexp, want string) bool {
	if !re.MatchString(s) {
		p.add(field, "%s is not %s", quote(s), want)
		return false
	}
	return true
}

var pathSegmentRe = regexp.MustCompile(`^[A-Za-z0-9_@+-][A-Za-z0-9._@+-]*$`)

// filePath checks a path to a file inside the app's tree: relative, clean, forward slashes,
// segments made of letters, digits and ._@+- that do not begin with a dot, and one of exts.
func (p *problems) filePath(field, s string, exts []string) {
	switch {
	case s == "":
		p.add(field, "required")
	case len(s) > MaxPathLen:
		p.add(field, "%d bytes, at most %d", len(s), MaxPathLen)
	case strings.Contains(s, `\`):
		p.add(field, "%s uses a backslash; use / between folders", quote(s))
	case strings.HasPrefix(s, "/"):
		p.add(field, "%s is absolute; give a path relative to the repository root", quote(s))
	case path.Clean(s) != s || hasDotSegment(s):
		p.add(field, "%s is not a clean relative path (no ., .., // or trailing /)", quote(s))
	case !segmentsMatch(s):
		p.add(field, "%s has a file or folder name that is not allowed (letters, digits and ._@+-, not starting with a dot)", quote(s))
	case !hasExt(s, exts):
		p.add(field, "%s is not a %s file", quote(s), strings.Join(exts, ", "))
	}
}

func hasDotSegment(s string) bool {
	for _, seg := range strings.Split(s, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

func segmentsMatch(s string) bool {
	for _, seg := range strings.Split(s, "/") {
		if !pathSegmentRe.MatchString(seg) {
			return false
		}
	}
	return true
}

func hasExt(s string, exts []string) bool {
	ext := strings.ToLower(path.Ext(s))
	for _, e := range exts {
		if ext == e {
			return true
		}
	}
	return false
}

// routeRe is a URL path made of RFC 3986 path characters, without percent-encoding.
var routeRe = regexp.MustCompile(`^/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$`)

// route checks a public route: an absolute, clean URL path, optionally ending with '/'.
func (p *problems) route(field, s string) {
	switch {
	case s == "":
		p.add(field, "required")
	case len(s) > MaxPathLen:
		p.add(field, "%d bytes, at most %d", len(s), MaxPathLen)
	case !strings.HasPrefix(s, "/"):
		p.add(field, "%s does not begin with /", quote(s))
	case !routeRe.MatchString(s):
		p.add(field, "%s has characters not allowed in a route (no spaces, %%, ?, # or backslashes)", quote(s))
	case !cleanRoute(s):
		p.add(field, "%s is not a clean path (no ., .. or //)", quote(s))
	}
}

// cleanRoute reports whether s is a clean absolute path, a trailing '/' allowed.
func cleanRoute(s string) bool {
	trimmed := s
	if len(s) > 1 {
		trimmed = strings.TrimSuffix(s, "/")
	}
	return !strings.Contains(s, "//") && path.Clean(trimmed) == trimmed && !hasDotSegment(trimmed)
}

// webURL checks an http or https URL with a host and no credentials.
func (p *problems) webURL(field, s string) {
	if s == "" {
		return
	}
	if len(s) > MaxURLLen {
		p.add(field, "%d bytes, at most %d", len(s), MaxURLLen)
		return
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || strings.ContainsAny(s, " \t\r\n"):
		p.add(field, "%s is not a URL", quote(s))
	case u.Scheme != "http" && u.Scheme != "https":
		p.add(field, "%s is not an http or https URL", quote(s))
	case u.Host == "" || u.Hostname() == "":
		p.add(field, "%s has no host", quote(s))
	case u.User != nil:
		p.add(field, "%s holds a user name or password; leave them out", quote(s))
	}
}
