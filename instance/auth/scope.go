// Package auth holds what decides who may do what on an instance: scopes that grant verbs on
// doctypes, and the bearer tokens that carry them.
package auth

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hearth-cloud/hearth/registry/manifest"
)

// Verbs a scope can grant. GET also covers HEAD and every read-only request.
const (
	VerbGet    = "GET"
	VerbPost   = "POST"
	VerbPut    = "PUT"
	VerbDelete = "DELETE"
)

// AllVerbs is what a scope without an explicit verb list grants.
var AllVerbs = []string{VerbGet, VerbPost, VerbPut, VerbDelete}

// ErrBadScope is returned for a scope or doctype that does not parse.
var ErrBadScope = errors.New("auth: bad scope")

// ValidDoctype reports whether name is an acceptable doctype: the rule manifests are checked
// with, so that an app never asks for a doctype the instance would refuse.
func ValidDoctype(name string) bool { return manifest.ValidDoctype(name) }

// Scope grants verbs on one doctype.
type Scope struct {
	Doctype string
	Verbs   []string // sorted, never empty
}

// ParseScope reads "io.hearth.notes" (every verb) or "io.hearth.notes:GET,POST".
func ParseScope(s string) (Scope, error) {
	doctype, verbList, hasVerbs := strings.Cut(strings.TrimSpace(s), ":")
	if !ValidDoctype(doctype) {
		return Scope{}, fmt.Errorf("%w: %q is not a doctype (lower-case reverse-DNS such as io.hearth.notes)", ErrBadScope, doctype)
	}
	sc := Scope{Doctype: doctype}
	if !hasVerbs {
		sc.Verbs = slices.Clone(AllVerbs)
		return sc, nil
	}
	for _, v := range strings.Split(verbList, ",") {
		v = strings.ToUpper(strings.TrimSpace(v))
		if !slices.Contains(AllVerbs, v) {
			return Scope{}, fmt.Errorf("%w: unknown verb %q in %q (use GET, POST, PUT, DELETE)", ErrBadScope, v, s)
		}
		if !slices.Contains(sc.Verbs, v) {
			sc.Verbs = append(sc.Verbs, v)
		}
	}
	sort.Strings(sc.Verbs)
	return sc, nil
}

// String renders the scope in the form ParseScope reads.
func (s Scope) String() string {
	if len(s.Verbs) == len(AllVerbs) {
		return s.Doctype
	}
	return s.Doctype + ":" + strings.Join(s.Verbs, ",")
}

// ParseScopes parses each of list; the first bad one is an error.
func ParseScopes(list []string) (Permissions, error) {
	out := make(Permissions, 0, len(list))
	for _, s := range list {
		sc, err := ParseScope(s)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

// Permissions is a set of scopes, checked on every request.
type Permissions []Scope

// Allows reports whether verb is granted on doctype.
func (p Permissions) Allows(doctype, verb string) bool {
	if verb == "HEAD" {
		verb = VerbGet
	}
	for _, s := range p {
		if s.Doctype == doctype && slices.Contains(s.Verbs, verb) {
			return true
		}
	}
	return false
}

// Readable lists the doctypes that may be read, sorted.
func (p Permissions) Readable() []string {
	var out []string
	for _, s := range p {
		if slices.Contains(s.Verbs, VerbGet) && !slices.Contains(out, s.Doctype) {
			out = append(out, s.Doctype)
		}
	}
	sort.Strings(out)
	return out
}
