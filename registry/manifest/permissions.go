package manifest

import (
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Verbs a permission can ask for, in the order token scopes list them.
const (
	VerbDelete = "DELETE"
	VerbGet    = "GET"
	VerbPost   = "POST"
	VerbPut    = "PUT"
)

// AllVerbs returns the four verbs, sorted: what a permission without verbs grants.
func AllVerbs() []string { return []string{VerbDelete, VerbGet, VerbPost, VerbPut} }

// MaxDoctypeLen bounds a doctype's length.
const MaxDoctypeLen = 128

// doctypeRe is a lower-case reverse-DNS name: at least two dot-separated labels, each a letter
// followed by letters, digits or hyphens. It is the instance's doctype rule, kept here so the
// registry does not depend on the instance.
var doctypeRe = regexp.MustCompile(`^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$`)

// ValidDoctype reports whether name is an acceptable doctype.
func ValidDoctype(name string) bool {
	return len(name) <= MaxDoctypeLen && doctypeRe.MatchString(name) && !strings.Contains(name, "--")
}

// reservedDoctypes are the instance's own doctypes: no app may ask for them, nor for any
// doctype under them (io.hearth.apps.x).
var reservedDoctypes = []string{
	"io.hearth.apps",
	"io.hearth.auth",
	"io.hearth.instance",
	"io.hearth.permissions",
	"io.hearth.sessions",
	"io.hearth.settings",
	"io.hearth.tokens",
}

// ReservedDoctypes lists the doctypes (with everything under them) that no app may ask for.
func ReservedDoctypes() []string { return slices.Clone(reservedDoctypes) }

// IsReservedDoctype reports whether doctype is, or is under, a reserved doctype.
func IsReservedDoctype(doctype string) bool {
	for _, r := range reservedDoctypes {
		if doctype == r || strings.HasPrefix(doctype, r+".") {
			return true
		}
	}
	return false
}

// Granted is the verbs p grants, sorted: its Verbs, or all four when it names none.
func (p Permission) Granted() []string {
	if len(p.Verbs) == 0 {
		return AllVerbs()
	}
	out := slices.Clone(p.Verbs)
	sort.Strings(out)
	return slices.Compact(out)
}

// Scope renders p as a token scope: "doctype" for all verbs, else "doctype:VERB,VERB".
func (p Permission) Scope() string {
	verbs := p.Granted()
	if len(verbs) == len(AllVerbs()) {
		return p.Doctype
	}
	return p.Doctype + ":" + strings.Join(verbs, ",")
}

// PermissionList returns the permissions sorted by doctype, each with its Key set.
func (m *Manifest) PermissionList() []Permission {
	out := make([]Permission, 0, len(m.Permissions))
	for key, p := range m.Permissions {
		p.Key = key
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Doctype != out[j].Doctype {
			return out[i].Doctype < out[j].Doctype
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// Scopes returns the app's permissions as token scopes, sorted by doctype, in the form the
// instance's scope parser reads ("io.hearth.notes" or "io.hearth.notes:GET,POST").
func (m *Manifest) Scopes() []string {
	list := m.PermissionList()
	out := make([]string, 0, len(list))
	for _, p := range list {
		out = append(out, p.Scope())
	}
	return out
}

// grantedByDoctype is the union of verbs m grants on each doctype.
func (m *Manifest) grantedByDoctype() map[string][]string {
	out := map[string][]string{}
	if m == nil {
		return out
	}
	for _, p := range m.Permissions {
		for _, v := range p.Granted() {
			if !slices.Contains(out[p.Doctype], v) {
				out[p.Doctype] = append(out[p.Doctype], v)
			}
		}
	}
	return out
}

// MorePermissions returns what next asks for beyond what prev granted: permissions on new
// doctypes, and new verbs on known ones. Each returned Permission carries next's key and
// description and lists only the added verbs, sorted. An empty result means an update needs no
// new approval. A nil prev means a first install: everything next asks for.
func MorePermissions(prev, next *Manifest) []Permission {
	if next == nil {
		return nil
	}
	had := prev.grantedByDoctype()
	var out []Permission
	for _, p := range next.PermissionList() {
		var added []string
		for _, v := range p.Granted() {
			if !slices.Contains(had[p.Doctype], v) {
				added = append(added, v)
				had[p.Doctype] = append(had[p.Doctype], v)
			}
		}
		if len(added) > 0 {
			p.Verbs = added
			out = append(out, p)
		}
	}
	return out
}
