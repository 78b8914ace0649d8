package manifest

import "strings"

// IsPublic reports whether a request for urlPath (the decoded path, as in url.URL.Path) may
// be served without an owner session: it equals a public route or lies under one, on a
// segment boundary ("/share" covers "/share" and "/share/x", not "/shared"). A path that is
// not clean or holds a backslash, a '%' or a control character is never public, so that an
// app cannot be reached through a path it would resolve differently.
func (m *Manifest) IsPublic(urlPath string) bool {
	if !strings.HasPrefix(urlPath, "/") || !cleanRoute(urlPath) ||
		strings.ContainsFunc(urlPath, func(r rune) bool { return r == '\\' || r == '%' || r < 0x20 || r == 0x7f }) {
		return false
	}
	for _, r := range m.PublicRoutes {
		if !strings.HasPrefix(r, "/") || !cleanRoute(r) {
			continue // Validate refuses it; never let a bad route open everything
		}
		base := strings.TrimSuffix(r, "/")
		if r == "/" || urlPath == base || strings.HasPrefix(urlPath, base+"/") {
			return true
		}
	}
	return false
}
