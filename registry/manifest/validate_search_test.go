package manifest

import (
	"strings"
	"testing"
)

func TestValidateSearch(t *testing.T) {
	t.Parallel()
	ok := validStatic()
	ok.Search = map[string][]string{"io.hearth.notes": {"title", "content", "address.city", "é tiquette"}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	field := `search["io.hearth.notes"]`
	tests := []struct {
		name, field, problem string
		search               map[string][]string
	}{
		{"not asked for", `search["io.hearth.mail"]`, "not a doctype this app asks permission for", map[string][]string{"io.hearth.mail": {"subject"}}},
		{"empty", field, "is empty", map[string][]string{"io.hearth.notes": {}}},
		{"blank path", field + "[0]", "is not a field", map[string][]string{"io.hearth.notes": {""}}},
		{"underscore", field + "[0]", "beginning with _", map[string][]string{"io.hearth.notes": {"_id"}}},
		{"empty segment", field + "[1]", "none empty", map[string][]string{"io.hearth.notes": {"a", "a..b"}}},
		{"control", field + "[0]", "not a field path", map[string][]string{"io.hearth.notes": {"a\nb"}}},
		{"long", field + "[0]", "too long", map[string][]string{"io.hearth.notes": {strings.Repeat("a", MaxFieldPathLen+1)}}},
		{"twice", field + "[1]", "listed twice", map[string][]string{"io.hearth.notes": {"title", "title"}}},
		{"too many", field, "at most 32", map[string][]string{"io.hearth.notes": make([]string, MaxSearchFields+1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validStatic()
			m.Search = tt.search
			wantProblem(t, m.Validate(), tt.field, tt.problem)
		})
	}
}

func TestParseSearch(t *testing.T) {
	t.Parallel()
	m, err := Load([]byte(`{"slug": "notes", "name": "Notes", "version": "1.0.0", "kind": "static",
		"permissions": {"notes": {"doctype": "io.hearth.notes", "description": "Your notes."}},
		"search": {"io.hearth.notes": ["title"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Search["io.hearth.notes"]; len(got) != 1 || got[0] != "title" {
		t.Fatalf("search: %v", m.Search)
	}
	if _, err := Load([]byte(`{"slug": "notes", "name": "Notes", "version": "1.0.0", "kind": "static", "search": ["title"]}`)); err == nil {
		t.Fatal("search as an array was accepted")
	}
}
