package manifest_test

import (
	"errors"
	"fmt"

	"github.com/hearth-cloud/hearth/registry/manifest"
)

func ExampleLoad() {
	_, err := manifest.Load([]byte(`{
		"slug": "notes", "name": "Notes", "version": "1.2", "kind": "static",
		"permissions": {"notes": {"doctype": "io.hearth.notes", "verbs": ["GET", "PATCH"]}}
	}`))
	var ve *manifest.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Println(p.Field, "→", p.Problem)
		}
	}
	// Output:
	// version → "1.2" is not a semantic version (want X.Y.Z or X.Y.Z-beta.N)
	// permissions.notes.verbs[1] → "PATCH" is not a verb (want GET, POST, PUT or DELETE, in capitals)
	// permissions.notes.description → required
}

func ExampleMorePermissions() {
	prev, _ := manifest.Load([]byte(`{"slug": "notes", "name": "Notes", "version": "1.0.0", "kind": "static",
		"permissions": {"notes": {"doctype": "io.hearth.notes", "verbs": ["GET"], "description": "To show your notes."}}}`))
	next, _ := manifest.Load([]byte(`{"slug": "notes", "name": "Notes", "version": "1.1.0", "kind": "static",
		"permissions": {"notes": {"doctype": "io.hearth.notes", "verbs": ["GET", "PUT"], "description": "To edit your notes."},
		"tags": {"doctype": "io.hearth.tags", "description": "To tag your notes."}}}`))
	for _, p := range manifest.MorePermissions(prev, next) {
		fmt.Println(p.Scope(), "—", p.Description)
	}
	fmt.Println(next.Scopes())
	// Output:
	// io.hearth.notes:PUT — To edit your notes.
	// io.hearth.tags — To tag your notes.
	// [io.hearth.notes:GET,PUT io.hearth.tags]
}
