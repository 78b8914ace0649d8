package manifest

import (
	"errors"
	"strings"
	"testing"
)

const minimalJSON = `{"slug": "notes", "name": "Notes", "version": "1.0.0", "kind": "static"}`

func TestParseReadsEveryField(t *testing.T) {
	t.Parallel()
	m, err := Load([]byte(`{
		"slug": "notes", "name": "Notes", "version": "1.0.0", "kind": "node",
		"description": "d", "icon": "i.svg",
		"locales": {"fr": {"name": "N", "description": "D", "permissions": {"notes": "P"}}},
		"permissions": {"notes": {"doctype": "io.hearth.notes", "verbs": ["GET"], "description": "why"}},
		"public_routes": ["/s/"],
		"node": {"start": ["node", "s.js"], "node_version": ">=20", "install": "install"},
		"publisher": {"name": "P", "url": "https://p.example", "key": "ed25519:0123456789abcdef"},
		"homepage": "https://h.example", "source": "https://s.example", "license": "MIT",
		"categories": ["c"], "screenshots": ["s.png"]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	p := m.Permissions["notes"]
	switch {
	case p.Key != "notes" || p.Doctype != "io.hearth.notes" || p.Verbs[0] != "GET" || p.Description != "why":
		t.Fatalf("permission %+v", p)
	case m.Locales["fr"].Permissions["notes"] != "P" || m.Node.InstallMode() != InstallInstall:
		t.Fatalf("locales %+v node %+v", m.Locales, m.Node)
	case m.Publisher.Key != "ed25519:0123456789abcdef" || m.Screenshots[0] != "s.png" || m.Categories[0] != "c":
		t.Fatalf("manifest %+v", m)
	}
}

func TestParseRefusesBadShapes(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, json, field, problem string }{
		{"unknown field", `{"slug": "a", "colour": "red"}`, "colour", "unknown field"},
		{"unknown nested field", `{"permissions": {"n": {"doctype": "a.b", "verb": ["GET"]}}}`, "permissions.n.verb", "unknown field"},
		{"case twin", `{"Slug": "notes"}`, "Slug", "unknown field"},
		{"Key is not a field", `{"permissions": {"n": {"Key": "x"}}}`, "permissions.n.Key", "unknown field"},
		{"duplicate key", `{"slug": "a", "slug": "b"}`, "slug", "duplicate key"},
		{"duplicate map key", `{"permissions": {"n": {}, "n": {}}}`, "permissions.n", "duplicate key"},
		{"duplicate locale key", `{"locales": {"fr": {"permissions": {"a": "x", "a": "y"}}}}`, "locales.fr.permissions.a", "duplicate key"},
		{"number", `{"version": 1.2}`, "version", "want a string, got a number"},
		{"bool", `{"slug": true}`, "slug", "want a string, got a boolean"},
		{"string for array", `{"public_routes": "/x"}`, "public_routes", "want an array, got a string"},
		{"array for object", `{"node": ["node"]}`, "node", "want an object, got an array"},
		{"object for string", `{"name": {"en": "x"}}`, "name", "want a string, got an object"},
		{"number in array", `{"node": {"start": ["node", 1]}}`, "node.start[1]", "want a string, got a number"},
		{"odd key quoted", `{"locales": {"a b": 3}}`, `locales["a b"]`, "want an object"},
		{"array at top", `["slug"]`, "", "want an object, got an array"},
		{"string at top", `"x"`, "", "want an object, got a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := Parse([]byte(tt.json))
			if m != nil {
				t.Fatalf("got a manifest: %+v", m)
			}
			wantProblem(t, err, tt.field, tt.problem)
		})
	}
}

func TestParseReportsEveryShapeProblem(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte(`{"slug": 1, "x": 2, "kind": [], "x": {"deep": [1, {"a": 2}]}, "name": "ok"}`))
	list := problemsOf(t, err)
	var got []string
	for _, p := range list {
		got = append(got, p.Error())
	}
	want := "slug: want a string, got a number|x: unknown field|kind: want a string, got an array|x: duplicate key|x: unknown field"
	if strings.Join(got, "|") != want {
		t.Fatalf("got  %s\nwant %s", strings.Join(got, "|"), want)
	}
}

func TestParseRefusesBrokenJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, json string
		err        error
		msg        string
	}{
		{"empty", ``, ErrSyntax, "empty"},
		{"spaces", " \n ", ErrSyntax, "empty"},
		{"truncated", `{"slug": "a"`, ErrSyntax, "unexpected end"},
		{"trailing object", minimalJSON + ` {}`, ErrSyntax, "line 1, column 74: invalid character '{' after top-level value"},
		{"trailing garbage", minimalJSON + "\n x", ErrSyntax, "line 2, column 2: invalid character 'x'"},
		{"trailing comma", `{"slug": "a",}`, ErrSyntax, "line 1"},
		{"comment", "{\n// no\n}", ErrSyntax, "line 2"},
		{"single quotes", `{'slug': 'a'}`, ErrSyntax, "invalid character"},
		{"too large", `{"description": "` + strings.Repeat("a", MaxSize) + `"}`, ErrTooLarge, "at most 262144"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := Parse([]byte(tt.json))
			if m != nil || !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %v, %v; want %v …%s…", m, err, tt.err, tt.msg)
			}
		})
	}
}

func TestParseAcceptsNullAndMinimal(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{minimalJSON, `{"slug": "notes", "name": "Notes", "version": "1.0.0", "kind": "static", "node": null, "permissions": null}`} {
		if _, err := Load([]byte(doc)); err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
	}
}

func TestLoadValidates(t *testing.T) {
	t.Parallel()
	_, err := Load([]byte(`{"slug": "admin", "name": "A", "version": "1.0.0", "kind": "static"}`))
	wantProblem(t, err, "slug", "reserved")
}

func TestInstallMode(t *testing.T) {
	t.Parallel()
	var none *Node
	if none.InstallMode() != InstallCI || (&Node{}).InstallMode() != InstallCI || (&Node{Install: "install"}).InstallMode() != InstallInstall {
		t.Fatal("install mode defaults")
	}
}
