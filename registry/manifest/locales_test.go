package manifest

import "testing"

func TestLocalize(t *testing.T) {
	t.Parallel()
	m := validStatic()
	m.Description = "Default."
	m.Permissions["photos"] = Permission{Doctype: "io.hearth.photos", Description: "Photos."}
	m.Locales = map[string]Locale{
		"fr":    {Name: "Les notes", Permissions: map[string]string{"notes": "Vos notes."}},
		"fr-CA": {Description: "Québec."},
		"pt-BR": {Name: "Notas"},
	}
	tests := []struct{ tag, name, description, notes, photos string }{
		{"", "Notes", "Default.", "To keep your notes.", "Photos."},
		{"en", "Notes", "Default.", "To keep your notes.", "Photos."},
		{"fr", "Les notes", "Default.", "Vos notes.", "Photos."},
		{"FR-be", "Les notes", "Default.", "Vos notes.", "Photos."},
		{"fr-CA", "Les notes", "Québec.", "Vos notes.", "Photos."},
		{"fr-ca", "Les notes", "Québec.", "Vos notes.", "Photos."},
		{"pt", "Notes", "Default.", "To keep your notes.", "Photos."},
		{"pt-BR", "Notas", "Default.", "To keep your notes.", "Photos."},
	}
	for _, tt := range tests {
		l := m.Localize(tt.tag)
		if l.Name != tt.name || l.Description != tt.description || l.Permissions["notes"] != tt.notes || l.Permissions["photos"] != tt.photos {
			t.Errorf("Localize(%q) = %+v", tt.tag, l)
		}
	}
}
