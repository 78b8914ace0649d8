package manifest

import (
	"fmt"
	"slices"
	"testing"
)

func perms(list ...Permission) *Manifest {
	m := validStatic()
	m.Permissions = map[string]Permission{}
	for _, p := range list {
		m.Permissions[p.Key] = p
	}
	return m
}

func TestScopes(t *testing.T) {
	t.Parallel()
	m := perms(
		Permission{Key: "z", Doctype: "org.example.z", Verbs: []string{"PUT", "GET", "POST"}},
		Permission{Key: "all", Doctype: "io.hearth.notes"},
		Permission{Key: "listed", Doctype: "io.hearth.files", Verbs: []string{"DELETE", "PUT", "GET", "POST"}},
		Permission{Key: "read", Doctype: "io.hearth.contacts", Verbs: []string{"GET"}},
	)
	want := []string{"io.hearth.contacts:GET", "io.hearth.files", "io.hearth.notes", "org.example.z:GET,POST,PUT"}
	if got := m.Scopes(); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := (&Manifest{}).Scopes(); len(got) != 0 {
		t.Fatalf("no permissions gave %q", got)
	}
}

func TestMorePermissions(t *testing.T) {
	t.Parallel()
	notesRead := Permission{Key: "notes", Doctype: "io.hearth.notes", Verbs: []string{"GET"}, Description: "r"}
	notesAll := Permission{Key: "notes", Doctype: "io.hearth.notes", Description: "all"}
	notesRenamed := Permission{Key: "mynotes", Doctype: "io.hearth.notes", Verbs: []string{"GET"}, Description: "r"}
	contacts := Permission{Key: "contacts", Doctype: "io.hearth.contacts", Verbs: []string{"GET", "POST"}, Description: "c"}
	tests := []struct {
		name       string
		prev, next *Manifest
		want       string
	}{
		{"first install", nil, perms(notesRead, contacts), "contacts io.hearth.contacts [GET POST] c|notes io.hearth.notes [GET] r"},
		{"same", perms(notesRead), perms(notesRead), ""},
		{"fewer", perms(notesAll, contacts), perms(notesRead), ""},
		{"renamed key", perms(notesRead), perms(notesRenamed), ""},
		{"new doctype", perms(notesRead), perms(notesRead, contacts), "contacts io.hearth.contacts [GET POST] c"},
		{"new verbs", perms(notesRead), perms(notesAll), "notes io.hearth.notes [DELETE POST PUT] all"},
		{"all to all", perms(notesAll), perms(notesAll), ""},
		{"nil next", perms(notesAll), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ""
			for i, p := range MorePermissions(tt.prev, tt.next) {
				if i > 0 {
					got += "|"
				}
				got += fmt.Sprintf("%s %s %v %s", p.Key, p.Doctype, p.Verbs, p.Description)
			}
			if got != tt.want {
				t.Fatalf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestReservedNames(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"io.hearth.settings", "io.hearth.apps", "io.hearth.apps.logs", "io.hearth.tokens"} {
		if !IsReservedDoctype(d) {
			t.Errorf("%s is not reserved", d)
		}
	}
	for _, d := range []string{"io.hearth.notes", "io.hearth.appstore", "io.hearth", "com.example.settings"} {
		if IsReservedDoctype(d) {
			t.Errorf("%s is reserved", d)
		}
	}
	list := ReservedSlugs()
	list[0] = "changed"
	if !IsReservedSlug(ReservedSlugs()[0]) || IsReservedSlug("changed") || IsReservedSlug("notes") {
		t.Fatal("ReservedSlugs returned the package's own slice")
	}
}
