// Package manifest reads and checks hearth.json, the manifest at the root of every app's Git
// repository. The registry and the instance share it: the registry validates a manifest at each
// release tag, the instance shows its permissions to the owner before installing and turns them
// into the app's token scopes. The format is documented in docs/manifest.md.
package manifest

// FileName is where the manifest lives in an app's repository.
const FileName = "hearth.json"

// Kind says how an app runs.
type Kind string

// The kinds of app.
const (
	KindStatic Kind = "static" // HTML, CSS and JS served from the installed tree
	KindNode   Kind = "node"   // a Node.js server run by the instance's controller
)

// Manifest is the content of hearth.json. Parse fills it; Validate checks it.
type Manifest struct {
	Slug         string                `json:"slug"`
	Name         string                `json:"name"`
	Version      string                `json:"version"`
	Kind         Kind                  `json:"kind"`
	Description  string                `json:"description,omitempty"`
	Icon         string                `json:"icon,omitempty"`
	Locales      map[string]Locale     `json:"locales,omitempty"`
	Permissions  map[string]Permission `json:"permissions,omitempty"`
	PublicRoutes []string              `json:"public_routes,omitempty"`
	// Search names, by doctype, the fields of its documents the instance's full-text index
	// searches (dotted paths such as "address.city"); a doctype not named here has every
	// string field indexed.
	Search      map[string][]string `json:"search,omitempty"`
	Node        *Node               `json:"node,omitempty"`
	Publisher   *Publisher          `json:"publisher,omitempty"`
	Homepage    string              `json:"homepage,omitempty"`
	Source      string              `json:"source,omitempty"`
	License     string              `json:"license,omitempty"`
	Categories  []string            `json:"categories,omitempty"`
	Screenshots []string            `json:"screenshots,omitempty"`
}

// Permission asks for verbs on one doctype, with a sentence telling the owner why.
type Permission struct {
	// Key is the permission's name in the manifest's permissions object; Parse sets it.
	Key     string `json:"-"`
	Doctype string `json:"doctype"`
	// Verbs is a subset of GET, POST, PUT, DELETE; omitted means all four.
	Verbs       []string `json:"verbs,omitempty"`
	Description string   `json:"description"`
}

// Locale translates the manifest's texts into one language.
type Locale struct {
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	// Permissions maps a permission key to its description in this language.
	Permissions map[string]string `json:"permissions,omitempty"`
}

// Node says how the controller installs and starts a node app.
type Node struct {
	// Start is the command as an argument list, run in the app's directory.
	Start []string `json:"start"`
	// NodeVersion is an optional range of Node.js versions, such as ">=20".
	NodeVersion string `json:"node_version,omitempty"`
	// Install is how dependencies are installed: "ci" (the default) or "install".
	Install string `json:"install,omitempty"`
}

// Install modes of a node app's dependencies.
const (
	InstallCI      = "ci"      // npm ci: exactly package-lock.json
	InstallInstall = "install" // npm install
)

// InstallMode is n.Install with the default applied.
func (n *Node) InstallMode() string {
	if n == nil || n.Install == "" {
		return InstallCI
	}
	return n.Install
}

// Publisher says who publishes the app.
type Publisher struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
	// Key is an optional fingerprint of the publisher's signing key, such as "ed25519:…".
	Key string `json:"key,omitempty"`
}

// Limits on a manifest, so that a hostile one cannot bloat pages or memory.
const (
	MaxSize           = 256 << 10 // bytes of hearth.json
	MaxNameLen        = 64        // characters of a name (app, locale, publisher)
	MaxDescriptionLen = 1000      // characters of an app's description
	MaxReasonLen      = 500       // characters of a permission's description
	MaxPermissions    = 64
	MaxLocales        = 64
	MaxPublicRoutes   = 32
	MaxSearchFields   = 32  // fields named for one doctype in search
	MaxFieldPathLen   = 128 // bytes of one of them
	MaxCategories     = 8
	MaxScreenshots    = 10
	MaxPathLen        = 256  // bytes of a file path or public route
	MaxURLLen         = 2048 // bytes of a URL
	MaxStartArgs      = 32
	MaxArgLen         = 1024 // bytes of one argument of node.start
	MaxProblems       = 100  // problems kept in a ValidationError
)
