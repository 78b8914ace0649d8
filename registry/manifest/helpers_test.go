package manifest

import (
	"errors"
	"strings"
	"testing"
)

// validStatic is a small manifest that passes Validate; tests change one thing in it.
func validStatic() *Manifest {
	return &Manifest{
		Slug:    "notes",
		Name:    "Notes",
		Version: "1.0.0",
		Kind:    KindStatic,
		Permissions: map[string]Permission{
			"notes": {Key: "notes", Doctype: "io.hearth.notes", Description: "To keep your notes."},
		},
	}
}

// validNode is validStatic as a node app.
func validNode() *Manifest {
	m := validStatic()
	m.Kind = KindNode
	m.Node = &Node{Start: []string{"node", "server.js"}}
	return m
}

// problemsOf returns the problems of err, failing the test if it is not a *ValidationError.
func problemsOf(t *testing.T, err error) []FieldError {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a *ValidationError, got %v", err)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("%v does not wrap ErrInvalid", err)
	}
	return ve.Problems
}

// wantProblem fails unless err holds exactly one problem, on field, containing substr.
func wantProblem(t *testing.T, err error, field, substr string) {
	t.Helper()
	list := problemsOf(t, err)
	if len(list) != 1 {
		t.Fatalf("want one problem on %s, got %d: %v", field, len(list), err)
	}
	if list[0].Field != field || !strings.Contains(list[0].Problem, substr) {
		t.Fatalf("want %s: …%s…, got %s", field, substr, list[0].Error())
	}
}
