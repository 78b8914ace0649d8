package devices

import (
	"slices"
	"strings"

	"github.com/hearth-cloud/hearth/instance/auth"
)

// maxScopes bounds the doctypes one request may name.
const maxScopes = 64

// ParseScope reads an OAuth scope parameter: doctypes in auth.ParseScope form separated by
// spaces ("io.hearth.notes io.hearth.contacts:GET"). Scopes of the same doctype are merged;
// the order of first appearance is kept.
func ParseScope(s string) (auth.Permissions, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil, oauthErr("invalid_scope", "scope names no doctype: ask for doctypes such as \"io.hearth.notes io.hearth.contacts:GET\"")
	}
	if len(fields) > maxScopes {
		return nil, oauthErr("invalid_scope", "scope names too many doctypes")
	}
	var out auth.Permissions
	for _, f := range fields {
		sc, err := auth.ParseScope(f)
		if err != nil {
			return nil, oauthErr("invalid_scope", strings.TrimPrefix(err.Error(), "auth: "))
		}
		i := slices.IndexFunc(out, func(o auth.Scope) bool { return o.Doctype == sc.Doctype })
		if i < 0 {
			out = append(out, sc)
			continue
		}
		for _, v := range sc.Verbs {
			if !slices.Contains(out[i].Verbs, v) {
				out[i].Verbs = append(out[i].Verbs, v)
			}
		}
		slices.Sort(out[i].Verbs)
	}
	return out, nil
}

// FormatScope renders perms as an OAuth scope parameter.
func FormatScope(perms auth.Permissions) string {
	return strings.Join(scopeStrings(perms), " ")
}

func scopeStrings(perms auth.Permissions) []string {
	out := make([]string, len(perms))
	for i, sc := range perms {
		out[i] = sc.String()
	}
	return out
}

// covers reports whether every verb of want on each of its doctypes is in have.
func covers(have, want auth.Permissions) bool {
	for _, w := range want {
		for _, v := range w.Verbs {
			if !have.Allows(w.Doctype, v) {
				return false
			}
		}
	}
	return true
}

// ReadOnly reports whether sc grants reading only.
func ReadOnly(sc auth.Scope) bool {
	return len(sc.Verbs) == 1 && sc.Verbs[0] == auth.VerbGet
}
