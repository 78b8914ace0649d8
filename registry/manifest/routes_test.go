package manifest

import "testing"

func TestIsPublic(t *testing.T) {
	t.Parallel()
	m := &Manifest{PublicRoutes: []string{"/share", "/assets/", "/f.html"}}
	tests := []struct {
		path string
		want bool
	}{
		{"/share", true},
		{"/share/", true},
		{"/share/a/b", true},
		{"/shared", false},
		{"/assets/app.js", true},
		{"/assets", true},
		{"/assets/", true},
		{"/f.html", true},
		{"/f.html/x", true},
		{"/", false},
		{"", false},
		{"share", false},
		{"/secret", false},
		{"/share/../secret", false},
		{"/secret/../share/x", false},
		{"/share/./x", false},
		{"//share", false},
		{"/share//x", false},
		{`/share\..\secret`, false},
		{"/share/%2e%2e/secret", false},
		{"/share/x\x00", false},
	}
	for _, tt := range tests {
		if got := m.IsPublic(tt.path); got != tt.want {
			t.Errorf("IsPublic(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
	root := &Manifest{PublicRoutes: []string{"/"}}
	if !root.IsPublic("/") || !root.IsPublic("/any/thing") || root.IsPublic("/a/../b") {
		t.Error("a / route should make every clean path public")
	}
	broken := &Manifest{PublicRoutes: []string{"", "x", "/a/../"}}
	for _, p := range []string{"/", "/x", "/a", "/anything"} {
		if broken.IsPublic(p) {
			t.Errorf("an invalid route made %q public", p)
		}
	}
	if (&Manifest{}).IsPublic("/") {
		t.Error("no routes, yet / is public")
	}
}
