package entry

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hearth-cloud/hearth/registry/manifest"
)

// Kind says what an entry describes.
type Kind string

// The kinds of entry.
const (
	KindApp      Kind = "app"      // the app itself: name, source, deprecation
	KindVersion  Kind = "version"  // one version: commit, tree, manifest, archive, yank
	KindAdvisory Kind = "advisory" // a security advisory naming the fixed version
)

// Errors of Decode and Check.
var (
	ErrFormat = errors.New("entry: malformed entry")
)

// Limits on the parts of an entry that a publisher writes.
const (
	MaxReasonLen   = 500  // characters of a deprecation or yank reason
	MaxSummaryLen  = 1000 // characters of an advisory's summary
	MaxAdvisoryID  = 64   // characters of an advisory's id
	MaxEntrySize   = 512 << 10
	MaxOriginName  = 253
	MaxSourceURLen = 2048
)

// Entry is one signed record of a registry.
type Entry struct {
	Kind Kind `json:"kind"`
	// Origin is the registry that indexed the app; it stays the same on
	// every registry that mirrors the entry.
	Origin Origin `json:"origin"`
	Slug   string `json:"slug"`
	// Seq orders the origin's entries: a later entry about the same thing
	// (an app, a version, an advisory) replaces an earlier one.
	Seq int64 `json:"seq"`
	// Time is when the origin made the entry.
	Time time.Time `json:"time"`

	App      *App      `json:"app,omitempty"`      // KindApp
	Version  *Version  `json:"version,omitempty"`  // KindVersion
	Advisory *Advisory `json:"advisory,omitempty"` // KindAdvisory
}

// Origin names a registry: Key is its identity, Name and URL are for people and links.
type Origin struct {
	Name string `json:"name"`
	Key  string `json:"key"` // "ed25519:…"
	URL  string `json:"url,omitempty"`
}

// App describes an app as its origin registry knows it.
type App struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Source      string   `json:"source"` // the Git URL the origin indexes
	Homepage    string   `json:"homepage,omitempty"`
	Publisher   string   `json:"publisher,omitempty"`
	Categories  []string `json:"categories,omitempty"`
	// Deprecated is set when the publisher deprecated the app.
	Deprecated *Deprecation `json:"deprecated,omitempty"`
}

// Deprecation says why an app should no longer be installed, and what to use instead.
type Deprecation struct {
	Reason      string `json:"reason"`
	Replacement string `json:"replacement,omitempty"` // the slug of another app of the same origin
}

// Version is one version of an app: everything an instance needs to install it.
type Version struct {
	Version       string           `json:"version"`
	Channel       manifest.Channel `json:"channel"`
	Tag           string           `json:"tag,omitempty"` // "" for the dev channel's head
	Commit        string           `json:"commit"`
	Tree          string           `json:"tree"`
	Manifest      json.RawMessage  `json:"manifest"`
	ArchiveSHA256 string           `json:"archive_sha256"`
	ArchiveSize   int64            `json:"archive_size"`
	// Yanked is set when the publisher withdrew the version.
	Yanked *Yank `json:"yanked,omitempty"`
}

// Yank says why a version was withdrawn.
type Yank struct {
	Reason string `json:"reason"`
}

// Advisory is a security advisory about an app.
type Advisory struct {
	ID       string `json:"id"`
	Summary  string `json:"summary"`
	Severity string `json:"severity"` // low, moderate, high or critical
	// Fixed is the first version without the problem; versions below it are affected.
	Fixed string `json:"fixed"`
	URL   string `json:"url,omitempty"`
}

// Severities of an advisory.
var Severities = []string{"low", "moderate", "high", "critical"}

// ID is the app's identity across registries: origin key and slug.
func (e *Entry) ID() AppID { return AppID{Origin: e.Origin.Key, Slug: e.Slug} }

// Subject names what the entry is about inside its app: "" for the app,
// "dev" for the dev channel's head (one per app, whatever its version), the
// version string for a release, or "advisory:" + the advisory's id. A later
// entry with the same ID and Subject replaces an earlier one.
func (e *Entry) Subject() string {
	switch e.Kind {
	case KindVersion:
		if e.Version != nil && e.Version.Channel == manifest.ChannelDev {
			return string(manifest.ChannelDev)
		}
		if e.Version != nil {
			return e.Version.Version
		}
	case KindAdvisory:
		if e.Advisory != nil {
			return "advisory:" + e.Advisory.ID
		}
	}
	return ""
}

// AppID identifies an app: its origin registry's key and its slug.
type AppID struct {
	Origin string
	Slug   string
}

func (id AppID) String() string { return fmt.Sprintf("%s/%s", id.Origin, id.Slug) }
