package manifest

import (
	"regexp"
	"slices"
)

// permissionKeyRe is the name of a permission in the permissions object.
var permissionKeyRe = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

func (m *Manifest) checkPermissions(p *problems) {
	if len(m.Permissions) > MaxPermissions {
		p.add("permissions", "%d permissions, at most %d", len(m.Permissions), MaxPermissions)
		return
	}
	askedBy := map[string]string{} // doctype → key of the permission that asks for it
	for _, key := range sortedKeys(m.Permissions) {
		field := join("permissions", key)
		if !permissionKeyRe.MatchString(key) {
			p.add(field, "%s is not a permission name (1 to 32 of a-z, 0-9, _ and -, starting with a letter)", quote(key))
		}
		perm := m.Permissions[key]
		checkDoctype(p, field+".doctype", perm.Doctype)
		if other, dup := askedBy[perm.Doctype]; dup && perm.Doctype != "" {
			p.add(field+".doctype", "%s is already asked for by permissions.%s; use one permission per doctype", quote(perm.Doctype), other)
		} else {
			askedBy[perm.Doctype] = key
		}
		checkVerbs(p, field+".verbs", perm.Verbs)
		p.text(field+".description", perm.Description, MaxReasonLen, true, true)
	}
}

func checkDoctype(p *problems, field, doctype string) {
	switch {
	case doctype == "":
		p.add(field, "required")
	case !ValidDoctype(doctype):
		p.add(field, "%s is not a doctype (lower-case reverse-DNS such as io.hearth.notes)", quote(doctype))
	case IsReservedDoctype(doctype):
		p.add(field, "%s is reserved for the instance; no app may ask for it", quote(doctype))
	}
}

// checkVerbs accepts a missing list (all verbs) or a non-empty list of distinct verbs.
func checkVerbs(p *problems, field string, verbs []string) {
	if verbs != nil && len(verbs) == 0 {
		p.add(field, "is empty; list the verbs, or leave verbs out to ask for all of them")
		return
	}
	if len(verbs) > len(AllVerbs()) {
		p.add(field, "%d verbs, at most %d (GET, POST, PUT, DELETE)", len(verbs), len(AllVerbs()))
		return
	}
	for i, v := range verbs {
		switch {
		case !slices.Contains(AllVerbs(), v):
			p.add(index(field, i), "%s is not a verb (want GET, POST, PUT or DELETE, in capitals)", quote(v))
		case slices.Contains(verbs[:i], v):
			p.add(index(field, i), "%s is listed twice", quote(v))
		}
	}
}
