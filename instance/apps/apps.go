// Package apps installs, updates and removes the apps of an instance: it fetches an app's files
// from its source, checks its manifest, keeps its tree once per content hash for every instance,
// and records what the owner approved.
package apps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hearth-cloud/hearth/registry/archive"
	"github.com/hearth-cloud/hearth/registry/client"
	"github.com/hearth-cloud/hearth/registry/gitsource"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// Errors of this package.
var (
	ErrNotInstalled = errors.New("apps: not installed")
	ErrInstalled    = errors.New("apps: already installed")
	ErrNoPlan       = errors.New("apps: no such plan (it may have expired: prepare it again)")
	ErrSource       = errors.New("apps: cannot fetch the app")
	ErrManifest     = errors.New("apps: invalid manifest")
)

// Source is where an app's files come from: a Git repository at a tag, branch or commit, or a
// registry's archive of it.
type Source struct {
	URL string `json:"url"`
	Ref string `json:"ref,omitempty"` // empty: the default branch
	// Archive, when set, is the URL of an archive of the app (registry/archive's format) whose
	// sha256 must be SHA256: the files come from it, and URL only names the repository it was
	// built from, for the owner to see.
	Archive string `json:"archive,omitempty"`
	SHA256  string `json:"sha256,omitempty"`
	// Registry, when set, is the trusted registry the archive and its signed version came
	// from: the archive must make the signed tree, and updates come from that registry only.
	Registry *RegistrySource `json:"registry,omitempty"`
}

// Fetcher gets the files of a source.
type Fetcher interface {
	Fetch(ctx context.Context, src Source) (*gitsource.Snapshot, error)
}

// RemoteFetcher fetches sources from Git, or archives over HTTP, under a policy that refuses
// hostile URLs and trees; an archive is checked against its hash before it is opened, and its
// files exactly as a Git tree's.
type RemoteFetcher struct{ Policy gitsource.Policy }

// Fetch implements Fetcher.
func (g RemoteFetcher) Fetch(ctx context.Context, src Source) (*gitsource.Snapshot, error) {
	if src.Archive == "" {
		return gitsource.Fetch(ctx, src.URL, src.Ref, g.Policy)
	}
	data, err := gitsource.Get(ctx, src.Archive, g.Policy)
	if err != nil {
		return nil, err
	}
	snap, err := archive.Read(bytes.NewReader(data), src.SHA256, g.Policy)
	if err != nil {
		return nil, err
	}
	if rs := src.Registry; rs != nil {
		if err := client.CheckTree(snap, rs.Tree); err != nil {
			return nil, err
		}
		snap.Commit = rs.Commit
	}
	snap.URL, snap.Ref = src.URL, src.Ref
	return snap, nil
}

// Installed is an app installed on an instance.
type Installed struct {
	Slug        string          `json:"_id"`
	Rev         string          `json:"_rev,omitempty"`
	Source      Source          `json:"source"`
	Commit      string          `json:"commit"`
	Tree        string          `json:"tree"` // content hash: the directory in the tree store
	Manifest    json.RawMessage `json:"manifest"`
	Scopes      []string        `json:"scopes"` // what the owner approved
	InstalledAt time.Time       `json:"installed_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	// Pending is an update that asks for more permissions, waiting for the owner.
	Pending *Plan `json:"pending,omitempty"`
}

// App returns the manifest of the installed version.
func (in *Installed) App() (*manifest.Manifest, error) {
	m, err := manifest.Parse(in.Manifest)
	if err != nil {
		return nil, fmt.Errorf("apps: stored manifest of %s: %w", in.Slug, err)
	}
	return m, nil
}

// Plan is what an install or an update would do, shown to the owner before they accept.
type Plan struct {
	ID             string                `json:"id"`
	Slug           string                `json:"slug"`
	Name           string                `json:"name"`
	Version        string                `json:"version"`
	Update         bool                  `json:"update"`
	FromVersion    string                `json:"from_version,omitempty"`
	Source         Source                `json:"source"`
	Commit         string                `json:"commit"`
	Tree           string                `json:"tree"`
	Manifest       json.RawMessage       `json:"manifest"`
	Permissions    []manifest.Permission `json:"permissions"`     // everything the app asks for
	NewPermissions []manifest.Permission `json:"new_permissions"` // beyond what was approved
	ExpiresAt      time.Time             `json:"expires_at"`
}

// NeedsApproval tells whether the plan may only be applied once the owner accepts it: every
// install does, and an update that asks for more permissions.
func (p *Plan) NeedsApproval() bool { return !p.Update || len(p.NewPermissions) > 0 }
