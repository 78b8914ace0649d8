package proxy

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hearth-cloud/hearth/registry/manifest"
)

// fixtureDir is where the test apps live, as source.
func fixtureDir(name string) string {
	return filepath.Join("..", "..", "testdata", "apps", name)
}

func loadFixture(t testing.TB, name string) *manifest.Manifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir(name), manifest.FileName))
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Load(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

func TestFixtureManifests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dir  string
		slug string
		kind manifest.Kind
	}{
		{"static-notes", "notes", manifest.KindStatic},
		{"node-hello", "hello", manifest.KindNode},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			t.Parallel()
			m := loadFixture(t, tt.dir)
			if m.Slug != tt.slug || m.Kind != tt.kind {
				t.Fatalf("slug %q kind %q, want %q %q", m.Slug, m.Kind, tt.slug, tt.kind)
			}
			if len(m.Permissions) == 0 {
				t.Fatal("no permissions")
			}
			for key, p := range m.Permissions {
				if p.Description == "" {
					t.Errorf("permission %s has no reason", key)
				}
			}
		})
	}
	t.Run("node start", func(t *testing.T) {
		m := loadFixture(t, "node-hello")
		if m.Node == nil || len(m.Node.Start) != 2 || m.Node.Start[0] != "node" || m.Node.Start[1] != "server.js" {
			t.Fatalf("node.start = %+v", m.Node)
		}
	})
	t.Run("public route", func(t *testing.T) {
		m := loadFixture(t, "static-notes")
		if !m.IsPublic("/public/index.html") || m.IsPublic("/index.html") {
			t.Fatalf("public routes %v", m.PublicRoutes)
		}
	})
}
