package manifest

import (
	"encoding/json"
	"os"
	"testing"
)

// FuzzParse checks that no input makes Parse, Validate or the helpers panic, and that what
// Load accepts survives a round trip through encoding/json.
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimalJSON))
	f.Add([]byte(`{"slug": 1, "x": [1, {"a": {}}], "permissions": {"a": {"verbs": [null]}}}`))
	f.Add([]byte(`{"locales": {"fr": {"permissions": {"a": "b", "a": "c"}}}} {}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]`))
	f.Add([]byte(`{"public_routes": ["/a\u0000", "/\u202e"], "version": "1.0.0-beta.01"}`))
	if docs, err := os.ReadFile(docsPath); err == nil {
		for _, b := range jsonBlockRe.FindAllSubmatch(docs, -1) {
			f.Add(b[1])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			if m != nil {
				t.Fatal("a manifest and an error")
			}
			_ = err.Error()
			return
		}
		verr := m.Validate()
		_ = m.Scopes()
		_ = m.Localize("fr-CA")
		_ = m.IsPublic("/a/b")
		_ = MorePermissions(m, m)
		if verr != nil {
			_ = verr.Error()
			return
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := Load(again)
		if err != nil {
			t.Fatalf("a valid manifest does not load after a round trip: %v\n%s", err, again)
		}
		if len(MorePermissions(m, m2)) != 0 || len(MorePermissions(m2, m)) != 0 {
			t.Fatal("permissions changed in the round trip")
		}
	})
}
