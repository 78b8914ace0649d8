package manifest

import (
	"regexp"
	"slices"
	"sort"
	"strings"
)

var (
	slugRe     = regexp.MustCompile(`^[a-z][a-z0-9-]{1,31}$`)
	categoryRe = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	licenseRe  = regexp.MustCompile(`^[A-Za-z0-9.+()\- ]{1,64}$`)
	keyRe      = regexp.MustCompile(`^[A-Za-z0-9+/=:_-]{16,128}$`)
)

// Accepted image types.
var (
	iconExts       = []string{".svg", ".png", ".webp", ".jpg", ".jpeg"}
	screenshotExts = []string{".png", ".webp", ".jpg", ".jpeg"}
)

// reservedSlugs name the instance's own origins and words an app could impersonate it with.
var reservedSlugs = []string{
	"admin", "api", "app", "apps", "assets", "auth", "data", "hearth", "home", "login",
	"logout", "mail", "oauth", "onboarding", "public", "realtime", "registry", "root",
	"settings", "static", "status", "system", "www",
}

// ReservedSlugs lists the slugs no app may take.
func ReservedSlugs() []string { return slices.Clone(reservedSlugs) }

// IsReservedSlug reports whether slug is reserved for the instance.
func IsReservedSlug(slug string) bool { return slices.Contains(reservedSlugs, slug) }

// ValidSlug reports whether s is a well-formed slug (reserved ones included).
func ValidSlug(s string) bool { return slugRe.MatchString(s) }

// ValidCategory reports whether s is a well-formed category name.
func ValidCategory(s string) bool { return categoryRe.MatchString(s) }

// Validate checks every value of the manifest and returns all problems at once as a
// *ValidationError (which wraps ErrInvalid), or nil.
func (m *Manifest) Validate() error {
	p := &problems{}
	m.checkIdentity(p)
	p.text("name", m.Name, MaxNameLen, true, false)
	p.text("description", m.Description, MaxDescriptionLen, false, true)
	if m.Icon != "" {
		p.filePath("icon", m.Icon, iconExts)
	}
	m.checkKind(p)
	m.checkPermissions(p)
	m.checkLocales(p)
	m.checkRoutes(p)
	m.checkSearch(p)
	m.checkPublisher(p)
	p.webURL("homepage", m.Homepage)
	p.webURL("source", m.Source)
	if m.License != "" {
		p.word("license", m.License, licenseRe, "a license name or SPDX expression such as MIT or AGPL-3.0-or-later")
	}
	m.checkCategories(p)
	m.checkScreenshots(p)
	return p.err()
}

func (m *Manifest) checkIdentity(p *problems) {
	switch {
	case m.Slug == "":
		p.add("slug", "required")
	case !slugRe.MatchString(m.Slug) || strings.HasSuffix(m.Slug, "-") || strings.Contains(m.Slug, "--"):
		p.add("slug", "%s is not a slug (2 to 32 of a-z, 0-9 and single hyphens, starting with a letter, not ending with a hyphen)", quote(m.Slug))
	case IsReservedSlug(m.Slug):
		p.add("slug", "%s is reserved for the instance", quote(m.Slug))
	}
	if m.Version == "" {
		p.add("version", "required")
	} else if _, problem := parseVersion(m.Version); problem != "" {
		p.add("version", "%s", problem)
	}
}

func (m *Manifest) checkKind(p *problems) {
	switch m.Kind {
	case "":
		p.add("kind", "required (static or node)")
	case KindStatic:
		if m.Node != nil {
			p.add("node", "only node apps have a node block; this app's kind is static")
		}
	case KindNode:
		m.checkNode(p)
	default:
		p.add("kind", "%s is not a kind of app (want static or node)", quote(string(m.Kind)))
	}
}

var (
	commandRe     = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._+-]*(/[A-Za-z0-9_][A-Za-z0-9._+-]*)*$`)
	nodeVersionRe = regexp.MustCompile(`^[0-9xX*.^~<>=| -]{1,64}$`)
)

func (m *Manifest) checkNode(p *problems) {
	n := m.Node
	if n == nil || len(n.Start) == 0 {
		p.add("node.start", "required for node apps: the command as a list, such as [\"node\", \"server.js\"]")
	} else {
		checkStart(p, n.Start)
	}
	if n == nil {
		return
	}
	if n.NodeVersion != "" && (!nodeVersionRe.MatchString(n.NodeVersion) || strings.TrimSpace(n.NodeVersion) == "") {
		p.add("node.node_version", "%s is not a version range such as >=20 or ^22.1.0", quote(n.NodeVersion))
	}
	if n.Install != "" && n.Install != InstallCI && n.Install != InstallInstall {
		p.add("node.install", "%s is not an install mode (want ci or install)", quote(n.Install))
	}
}

func checkStart(p *problems, start []string) {
	if len(start) > MaxStartArgs {
		p.add("node.start", "%d arguments, at most %d", len(start), MaxStartArgs)
		return
	}
	if !commandRe.MatchString(start[0]) || hasDotSegment(start[0]) {
		p.add("node.start[0]", "%s is not a command name (such as node or npm) or a path inside the app", quote(start[0]))
	}
	for i, arg := range start[1:] {
		field := index("node.start", i+1)
		switch {
		case len(arg) > MaxArgLen:
			p.add(field, "%d bytes, at most %d", len(arg), MaxArgLen)
		case strings.ContainsFunc(arg, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			p.add(field, "contains a control character")
		}
	}
}

func (m *Manifest) checkRoutes(p *problems) {
	if len(m.PublicRoutes) > MaxPublicRoutes {
		p.add("public_routes", "%d routes, at most %d", len(m.PublicRoutes), MaxPublicRoutes)
		return
	}
	for i, r := range m.PublicRoutes {
		p.route(index("public_routes", i), r)
		if slices.Contains(m.PublicRoutes[:i], r) {
			p.add(index("public_routes", i), "%s is listed twice", quote(r))
		}
	}
}

func (m *Manifest) checkPublisher(p *problems) {
	if m.Publisher == nil {
		return
	}
	p.text("publisher.name", m.Publisher.Name, MaxNameLen, true, false)
	p.webURL("publisher.url", m.Publisher.URL)
	if m.Publisher.Key != "" {
		p.word("publisher.key", m.Publisher.Key, keyRe, "a key fingerprint (16 to 128 of A-Z a-z 0-9 + / = : _ -)")
	}
}

func (m *Manifest) checkCategories(p *problems) {
	if len(m.Categories) > MaxCategories {
		p.add("categories", "%d categories, at most %d", len(m.Categories), MaxCategories)
		return
	}
	for i, c := range m.Categories {
		if p.word(index("categories", i), c, categoryRe, "a category (1 to 32 of a-z, 0-9 and -, starting with a letter)") &&
			slices.Contains(m.Categories[:i], c) {
			p.add(index("categories", i), "%s is listed twice", quote(c))
		}
	}
}

func (m *Manifest) checkScreenshots(p *problems) {
	if len(m.Screenshots) > MaxScreenshots {
		p.add("screenshots", "%d screenshots, at most %d", len(m.Screenshots), MaxScreenshots)
		return
	}
	for i, s := range m.Screenshots {
		p.filePath(index("screenshots", i), s, screenshotExts)
	}
}

// sortedKeys returns a map's keys in order, so problems come out in a stable order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
