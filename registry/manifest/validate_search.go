package manifest

import (
	"regexp"
	"slices"
	"strings"
)

// fieldSegmentRe is one segment of a searchable field's path: a JSON member name that does not
// begin with '_' (CouchDB reserves those) and holds no dot.
var fieldSegmentRe = regexp.MustCompile(`^[^_.\x00-\x1f\x7f][^.\x00-\x1f\x7f]*$`)

// checkSearch accepts searchable fields only for doctypes the app asks permission for: an app
// tells how its own data is searched, not another's.
func (m *Manifest) checkSearch(p *problems) {
	if len(m.Search) > MaxPermissions {
		p.add("search", "%d doctypes, at most %d", len(m.Search), MaxPermissions)
		return
	}
	for _, doctype := range sortedKeys(m.Search) {
		field := join("search", doctype)
		if !m.asksFor(doctype) {
			p.add(field, "%s is not a doctype this app asks permission for", quote(doctype))
			continue
		}
		paths := m.Search[doctype]
		switch {
		case len(paths) == 0:
			p.add(field, "is empty; list the fields, or leave the doctype out to search every string field")
			continue
		case len(paths) > MaxSearchFields:
			p.add(field, "%d fields, at most %d", len(paths), MaxSearchFields)
			continue
		}
		for i, path := range paths {
			if problem := fieldPathProblem(path); problem != "" {
				p.add(index(field, i), "%s %s", quote(path), problem)
			} else if slices.Contains(paths[:i], path) {
				p.add(index(field, i), "%s is listed twice", quote(path))
			}
		}
	}
}

func (m *Manifest) asksFor(doctype string) bool {
	for _, perm := range m.Permissions {
		if perm.Doctype == doctype {
			return true
		}
	}
	return false
}

// fieldPathProblem says what is wrong with a field path such as "title" or "address.city".
func fieldPathProblem(path string) string {
	if path == "" {
		return "is not a field: name one, such as title or address.city"
	}
	if len(path) > MaxFieldPathLen {
		return "is too long (at most 128 bytes)"
	}
	for seg := range strings.SplitSeq(path, ".") {
		if !fieldSegmentRe.MatchString(seg) {
			return "is not a field path: dot-separated member names, none empty or beginning with _"
		}
	}
	return ""
}
