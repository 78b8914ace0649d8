package proxy

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyTree copies the fixture at src into a new temporary directory.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestStaticSymlinks(t *testing.T) {
	t.Parallel()
	dir := copyTree(t, fixtureDir("static-notes"))
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.txt")
	if err := os.WriteFile(secret, []byte("owner's secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "index.html"), []byte("<p>outside</p>"), 0o600); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"leak.txt":         secret,             // a file outside
		"out":              outside,            // a directory outside
		"public/leak.html": secret,             // on a public route
		"public/out":       outside,            // a public directory outside
		"relative.txt":     "../../etc/passwd", // relative, leaving the tree
		"alias.css":        "css/style.css",    // inside the tree: still not followed
		"cssdir":           "css",              // a directory inside the tree
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, mode := range serveModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			testSymlinks(t, newTestStatic(t, dir, mode.edit))
		})
	}
}

func testSymlinks(t *testing.T, s *Static) {
	tests := []struct {
		target  string
		session bool
	}{
		{"/leak.txt", true},
		{"/out/secret.txt", true},
		{"/out/", true},
		{"/out", true},
		{"/public/leak.html", false},
		{"/public/out/", false},
		{"/public/out/secret.txt", false},
		{"/relative.txt", true},
		{"/alias.css", true},
		{"/cssdir/style.css", true},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			t.Parallel()
			for range 2 { // the second time from the cache, when there is one
				res := do(t, s, "GET", tt.target, tt.session)
				b := body(t, res)
				if res.StatusCode != 404 {
					t.Fatalf("GET %s through a symbolic link: status %d, want 404 (%s)", tt.target, res.StatusCode, b)
				}
				if strings.Contains(b, "secret") || strings.Contains(b, "outside") || strings.Contains(b, "root:") {
					t.Fatalf("GET %s leaks a file outside the tree: %s", tt.target, b)
				}
				checkSecurityHeaders(t, res)
			}
		})
	}
	// The copy itself serves as the fixture does.
	if res := do(t, s, "GET", "/css/style.css", true); res.StatusCode != 200 {
		t.Fatalf("GET /css/style.css: %d", res.StatusCode)
	}
}
