package manifest

import (
	"strings"
	"testing"
)

func TestValidateAcceptsGoodManifests(t *testing.T) {
	t.Parallel()
	full := validNode()
	full.Description = "Line one.\nLine two."
	full.Icon = "img/icon.svg"
	full.Locales = map[string]Locale{
		"fr":    {Name: "Notes", Permissions: map[string]string{"notes": "Pour vos notes."}},
		"pt-BR": {Description: "Notas."},
	}
	full.PublicRoutes = []string{"/", "/share/", "/a/b"}
	full.Node.NodeVersion = "^20.1.0 || 22.x"
	full.Node.Install = InstallInstall
	full.Publisher = &Publisher{Name: "Me", URL: "http://me.example", Key: "ed25519:abcdef0123456789"}
	full.Homepage = "https://example.com/x?y=1#z"
	full.License = "MIT OR Apache-2.0"
	full.Categories = []string{"productivity", "notes"}
	full.Screenshots = []string{"shots/1.png", "shots/a_b-c@2x.webp"}
	for name, m := range map[string]*Manifest{"static": validStatic(), "node": validNode(), "full": full} {
		t.Run(name, func(t *testing.T) {
			if err := m.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestValidateRefusesBadManifests(t *testing.T) {
	t.Parallel()
	long := func(n int) string { return strings.Repeat("é", n) }
	perm := func(f func(*Permission)) func(*Manifest) {
		return func(m *Manifest) { p := m.Permissions["notes"]; f(&p); m.Permissions["notes"] = p }
	}
	tests := []struct {
		name, field, problem string
		change               func(*Manifest)
	}{
		{"no slug", "slug", "required", func(m *Manifest) { m.Slug = "" }},
		{"slug upper", "slug", "is not a slug", func(m *Manifest) { m.Slug = "Notes" }},
		{"slug short", "slug", "is not a slug", func(m *Manifest) { m.Slug = "n" }},
		{"slug long", "slug", "is not a slug", func(m *Manifest) { m.Slug = "a" + strings.Repeat("b", 32) }},
		{"slug digit first", "slug", "is not a slug", func(m *Manifest) { m.Slug = "1notes" }},
		{"slug trailing hyphen", "slug", "is not a slug", func(m *Manifest) { m.Slug = "notes-" }},
		{"slug double hyphen", "slug", "is not a slug", func(m *Manifest) { m.Slug = "xn--notes" }},
		{"slug dot", "slug", "is not a slug", func(m *Manifest) { m.Slug = "no.tes" }},
		{"slug reserved", "slug", `"admin" is reserved`, func(m *Manifest) { m.Slug = "admin" }},
		{"slug reserved www", "slug", "reserved", func(m *Manifest) { m.Slug = "www" }},
		{"no name", "name", "required", func(m *Manifest) { m.Name = "" }},
		{"blank name", "name", "required", func(m *Manifest) { m.Name = "  \t" }},
		{"long name", "name", "65 characters, at most 64", func(m *Manifest) { m.Name = long(65) }},
		{"name newline", "name", "U+000A", func(m *Manifest) { m.Name = "a\nb" }},
		{"name bidi", "name", "U+202E", func(m *Manifest) { m.Name = "evil\u202egpj" }},
		{"name spaces", "name", "begins or ends with spaces", func(m *Manifest) { m.Name = " Notes" }},
		{"long description", "description", "at most 1000", func(m *Manifest) { m.Description = long(1001) }},
		{"blank description", "description", "blank", func(m *Manifest) { m.Description = " " }},
		{"description nul", "description", "U+0000", func(m *Manifest) { m.Description = "a\x00" }},
		{"no version", "version", "required", func(m *Manifest) { m.Version = "" }},
		{"short version", "version", `"1.2" is not a semantic version (want X.Y.Z or X.Y.Z-beta.N)`, func(m *Manifest) { m.Version = "1.2" }},
		{"v version", "version", "not a semantic version", func(m *Manifest) { m.Version = "v1.2.3" }},
		{"build metadata", "version", "not a semantic version", func(m *Manifest) { m.Version = "1.2.3+abc" }},
		{"leading zero", "version", "not a semantic version", func(m *Manifest) { m.Version = "01.2.3" }},
		{"no kind", "kind", "required", func(m *Manifest) { m.Kind = "" }},
		{"bad kind", "kind", `"python" is not a kind`, func(m *Manifest) { m.Kind = "python" }},
		{"static with node", "node", "only node apps", func(m *Manifest) { m.Node = &Node{Start: []string{"node"}} }},
		{"node without node", "node.start", "required for node apps", func(m *Manifest) { m.Kind = KindNode }},
		{"icon absolute", "icon", "is absolute", func(m *Manifest) { m.Icon = "/etc/icon.png" }},
		{"icon dotdot", "icon", "not a clean relative path", func(m *Manifest) { m.Icon = "../icon.png" }},
		{"icon inner dotdot", "icon", "not a clean relative path", func(m *Manifest) { m.Icon = "a/../icon.png" }},
		{"icon dot", "icon", "not a clean relative path", func(m *Manifest) { m.Icon = "./icon.png" }},
		{"icon backslash", "icon", "backslash", func(m *Manifest) { m.Icon = `img\icon.png` }},
		{"icon double slash", "icon", "not a clean", func(m *Manifest) { m.Icon = "img//icon.png" }},
		{"icon hidden", "icon", "not starting with a dot", func(m *Manifest) { m.Icon = ".git/icon.png" }},
		{"icon space", "icon", "not allowed", func(m *Manifest) { m.Icon = "my icon.png" }},
		{"icon type", "icon", "is not a .svg", func(m *Manifest) { m.Icon = "icon.html" }},
		{"icon long", "icon", "at most 256", func(m *Manifest) { m.Icon = strings.Repeat("a/", 130) + "i.png" }},
		{"screenshot svg", "screenshots[0]", "is not a .png", func(m *Manifest) { m.Screenshots = []string{"a.svg"} }},
		{"screenshot traversal", "screenshots[1]", "not a clean", func(m *Manifest) { m.Screenshots = []string{"a.png", "../b.png"} }},
		{"too many screenshots", "screenshots", "at most 10", func(m *Manifest) { m.Screenshots = make([]string, 11) }},
		{"permission key", `permissions["Bad Key"]`, "not a permission name", func(m *Manifest) {
			m.Permissions["Bad Key"] = Permission{Doctype: "io.hearth.x", Description: "x"}
		}},
		{"no doctype", "permissions.notes.doctype", "required", perm(func(p *Permission) { p.Doctype = "" })},
		{"bad doctype", "permissions.notes.doctype", "not a doctype", perm(func(p *Permission) { p.Doctype = "Notes" })},
		{"one-label doctype", "permissions.notes.doctype", "not a doctype", perm(func(p *Permission) { p.Doctype = "notes" })},
		{"doctype double hyphen", "permissions.notes.doctype", "not a doctype", perm(func(p *Permission) { p.Doctype = "io.a--b" })},
		{"doctype long", "permissions.notes.doctype", "not a doctype", perm(func(p *Permission) { p.Doctype = "io." + strings.Repeat("a", 126) })},
		{"reserved doctype", "permissions.notes.doctype", "reserved for the instance", perm(func(p *Permission) { p.Doctype = "io.hearth.settings" })},
		{"under reserved doctype", "permissions.notes.doctype", "reserved", perm(func(p *Permission) { p.Doctype = "io.hearth.apps.state" })},
		{"empty verbs", "permissions.notes.verbs", "is empty", perm(func(p *Permission) { p.Verbs = []string{} })},
		{"bad verb", "permissions.notes.verbs[1]", `"PATCH" is not a verb`, perm(func(p *Permission) { p.Verbs = []string{"GET", "PATCH"} })},
		{"lower verb", "permissions.notes.verbs[0]", "in capitals", perm(func(p *Permission) { p.Verbs = []string{"get"} })},
		{"many verbs", "permissions.notes.verbs", "5 verbs, at most 4", perm(func(p *Permission) { p.Verbs = []string{"GET", "PUT", "POST", "DELETE", "GET"} })},
		{"twice verb", "permissions.notes.verbs[1]", "listed twice", perm(func(p *Permission) { p.Verbs = []string{"GET", "GET"} })},
		{"no reason", "permissions.notes.description", "required", perm(func(p *Permission) { p.Description = "" })},
		{"long reason", "permissions.notes.description", "at most 500", perm(func(p *Permission) { p.Description = long(501) })},
		{"doctype twice", "permissions.notes2.doctype", "already asked for by permissions.notes", func(m *Manifest) {
			m.Permissions["notes2"] = Permission{Doctype: "io.hearth.notes", Description: "Again."}
		}},
		{"too many permissions", "permissions", "at most 64", func(m *Manifest) {
			for i := range 64 {
				m.Permissions[index("p", i)] = Permission{}
			}
		}},
		{"locale tag", "locales.french", "not a language tag", func(m *Manifest) { m.Locales = map[string]Locale{"french": {}} }},
		{"locale tag odd", `locales["fr.FR"]`, "not a language tag", func(m *Manifest) { m.Locales = map[string]Locale{"fr.FR": {}} }},
		{"locale case twin", "locales.pt-br", "same language as locales.pt-BR", func(m *Manifest) {
			m.Locales = map[string]Locale{"pt-BR": {}, "pt-br": {}}
		}},
		{"locale name long", "locales.fr.name", "at most 64", func(m *Manifest) { m.Locales = map[string]Locale{"fr": {Name: long(65)}} }},
		{"locale unknown permission", "locales.fr.permissions.photos", `no permission is named "photos"`, func(m *Manifest) {
			m.Locales = map[string]Locale{"fr": {Permissions: map[string]string{"photos": "x"}}}
		}},
		{"locale blank reason", "locales.fr.permissions.notes", "required", func(m *Manifest) {
			m.Locales = map[string]Locale{"fr": {Permissions: map[string]string{"notes": " "}}}
		}},
		{"route relative", "public_routes[0]", "does not begin with /", func(m *Manifest) { m.PublicRoutes = []string{"share"} }},
		{"route dotdot", "public_routes[0]", "not a clean path", func(m *Manifest) { m.PublicRoutes = []string{"/a/../b"} }},
		{"route double slash", "public_routes[0]", "not a clean path", func(m *Manifest) { m.PublicRoutes = []string{"//"} }},
		{"route percent", "public_routes[0]", "not allowed in a route", func(m *Manifest) { m.PublicRoutes = []string{"/a%2f"} }},
		{"route query", "public_routes[0]", "not allowed in a route", func(m *Manifest) { m.PublicRoutes = []string{"/a?b"} }},
		{"route backslash", "public_routes[0]", "not allowed in a route", func(m *Manifest) { m.PublicRoutes = []string{`/a\b`} }},
		{"route empty", "public_routes[0]", "required", func(m *Manifest) { m.PublicRoutes = []string{""} }},
		{"route twice", "public_routes[1]", "listed twice", func(m *Manifest) { m.PublicRoutes = []string{"/a", "/a"} }},
		{"too many routes", "public_routes", "at most 32", func(m *Manifest) { m.PublicRoutes = make([]string, 33) }},
		{"homepage ftp", "homepage", "not an http or https URL", func(m *Manifest) { m.Homepage = "ftp://x.example" }},
		{"homepage javascript", "homepage", "not an http or https URL", func(m *Manifest) { m.Homepage = "javascript:alert(1)" }},
		{"homepage relative", "homepage", "not an http or https URL", func(m *Manifest) { m.Homepage = "/about" }},
		{"homepage no host", "homepage", "no host", func(m *Manifest) { m.Homepage = "https:///x" }},
		{"homepage space", "homepage", "not a URL", func(m *Manifest) { m.Homepage = "https://a.example/x y" }},
		{"source credentials", "source", "user name or password", func(m *Manifest) { m.Source = "https://u:p@git.example/x" }},
		{"source long", "source", "at most 2048", func(m *Manifest) { m.Source = "https://a.example/" + strings.Repeat("a", 2048) }},
		{"publisher no name", "publisher.name", "required", func(m *Manifest) { m.Publisher = &Publisher{} }},
		{"publisher url", "publisher.url", "not an http", func(m *Manifest) { m.Publisher = &Publisher{Name: "x", URL: "mailto:a@b"} }},
		{"publisher key", "publisher.key", "not a key fingerprint", func(m *Manifest) { m.Publisher = &Publisher{Name: "x", Key: "short"} }},
		{"license", "license", "not a license", func(m *Manifest) { m.License = "<b>MIT</b>" }},
		{"category", "categories[0]", "not a category", func(m *Manifest) { m.Categories = []string{"Photos"} }},
		{"category twice", "categories[1]", "listed twice", func(m *Manifest) { m.Categories = []string{"a", "a"} }},
		{"too many categories", "categories", "at most 8", func(m *Manifest) { m.Categories = make([]string, 9) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := validStatic()
			tt.change(m)
			wantProblem(t, m.Validate(), tt.field, tt.problem)
		})
	}
}

func TestValidateRefusesBadNodeBlocks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, field, problem string
		node                 Node
	}{
		{"no start", "node.start", "required", Node{}},
		{"absolute program", "node.start[0]", "not a command name", Node{Start: []string{"/usr/bin/node"}}},
		{"escaping program", "node.start[0]", "not a command name", Node{Start: []string{"../bin/x"}}},
		{"empty program", "node.start[0]", "not a command name", Node{Start: []string{""}}},
		{"control in arg", "node.start[1]", "control character", Node{Start: []string{"node", "a\x00"}}},
		{"long arg", "node.start[2]", "at most 1024", Node{Start: []string{"node", "a", strings.Repeat("a", 1025)}}},
		{"many args", "node.start", "at most 32", Node{Start: make([]string, 33)}},
		{"bad range", "node.node_version", "not a version range", Node{Start: []string{"node"}, NodeVersion: "latest"}},
		{"blank range", "node.node_version", "not a version range", Node{Start: []string{"node"}, NodeVersion: "  "}},
		{"bad install", "node.install", `"yarn" is not an install mode`, Node{Start: []string{"node"}, Install: "yarn"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := validNode()
			m.Node = &tt.node
			wantProblem(t, m.Validate(), tt.field, tt.problem)
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	m := &Manifest{Slug: "API", Version: "1.2", Kind: "static", Icon: "/x.png"}
	list := problemsOf(t, m.Validate())
	var fields []string
	for _, p := range list {
		fields = append(fields, p.Field)
	}
	if got, want := strings.Join(fields, " "), "slug version name icon"; got != want {
		t.Fatalf("fields %q, want %q", got, want)
	}
	msg := m.Validate().Error()
	if !strings.HasPrefix(msg, "hearth.json: 4 problems: slug: ") || !strings.Contains(msg, `version: "1.2" is not a semantic version`) {
		t.Fatalf("message %q", msg)
	}
}

func TestValidateCapsProblemsAndQuotes(t *testing.T) {
	t.Parallel()
	m := validStatic()
	m.Categories = nil
	m.Permissions = map[string]Permission{}
	for i := range MaxPermissions {
		m.Permissions[index("p", i)] = Permission{Doctype: "X", Verbs: []string{"NO"}}
	}
	list := problemsOf(t, m.Validate())
	if len(list) != MaxProblems+1 || !strings.Contains(list[MaxProblems].Problem, "more problems") {
		t.Fatalf("%d problems, last %v", len(list), list[len(list)-1])
	}
	m = validStatic()
	m.Slug = strings.Repeat("Z", 10000)
	if msg := m.Validate().Error(); len(msg) > 300 {
		t.Fatalf("message repeats the whole value: %d bytes", len(msg))
	}
}
