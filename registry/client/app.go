package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"time"

	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// App is an app as its signed entries describe it.
type App struct {
	Origin entry.Origin // from the signed app entry
	Slug   string
	Info   entry.App // name, source, publisher, deprecation: signed
	Seq    int64     // of the app entry
	// Versions are the app's versions, yanked ones included, newest first.
	Versions []*Version
	// Advisories are the app's security advisories, one per id.
	Advisories []*entry.Advisory
}

// ID is the app's identity: origin key and slug.
func (a *App) ID() entry.AppID { return entry.AppID{Origin: a.Origin.Key, Slug: a.Slug} }

// Latest returns the newest non-yanked version on channel, or nil.
func (a *App) Latest(channel manifest.Channel) *Version {
	for _, v := range a.Versions {
		if v.Channel == channel && v.Yanked == nil {
			return v
		}
	}
	return nil
}

// Version returns version v on channel, or nil. (The dev channel's head may carry the number
// of a tagged release: a version is known by its channel and its number.)
func (a *App) Version(channel manifest.Channel, v string) *Version {
	for _, ver := range a.Versions {
		if ver.Channel == channel && ver.Version == v {
			return ver
		}
	}
	return nil
}

// Affecting returns the advisories that affect version v.
func (a *App) Affecting(v string) []*entry.Advisory {
	var out []*entry.Advisory
	for _, adv := range a.Advisories {
		if adv.Affects(v) {
			out = append(out, adv)
		}
	}
	return out
}

// Version is one version of an app, from its signed entry: everything an instance needs to
// install it.
type Version struct {
	Origin        entry.Origin
	Slug          string
	Seq           int64
	Published     time.Time
	Version       string
	Channel       manifest.Channel
	Tag           string
	Commit        string
	Tree          string
	Manifest      json.RawMessage
	ArchiveSHA256 string
	ArchiveSize   int64
	Yanked        *entry.Yank // set when the publisher withdrew it
}

func versionOf(e *entry.Entry) *Version {
	v := e.Version
	return &Version{Origin: e.Origin, Slug: e.Slug, Seq: e.Seq, Published: e.Time, Version: v.Version,
		Channel: v.Channel, Tag: v.Tag, Commit: v.Commit, Tree: v.Tree, Manifest: v.Manifest,
		ArchiveSHA256: v.ArchiveSHA256, ArchiveSize: v.ArchiveSize, Yanked: v.Yanked}
}

// signedOnly is the part of an answer that is believed: its signed entries.
type signedOnly struct {
	Entry *entry.Signed `json:"entry"`
}

// App returns the app slug of origin (the registry's own apps when origin is ""), from its
// signed entries.
func (c *Client) App(ctx context.Context, slug, origin string) (*App, error) {
	origin = c.origin(origin)
	var raw struct {
		Entry      *entry.Signed `json:"entry"`
		Versions   []signedOnly  `json:"versions"`
		Advisories []signedOnly  `json:"advisories"`
	}
	if err := c.get(ctx, appPath(slug, ""), originQuery(origin), &raw); err != nil {
		return nil, err
	}
	e, err := c.open(raw.Entry, entry.KindApp, slug, origin)
	if err != nil {
		return nil, err
	}
	a := &App{Origin: e.Origin, Slug: e.Slug, Info: *e.App, Seq: e.Seq}
	if a.Versions, err = c.versions(raw.Versions, slug, origin); err != nil {
		return nil, err
	}
	latest := map[string]*entry.Entry{}
	for _, s := range raw.Advisories {
		e, err := c.open(s.Entry, entry.KindAdvisory, slug, origin)
		if err != nil {
			return nil, err
		}
		if prev := latest[e.Advisory.ID]; prev == nil || prev.Seq < e.Seq {
			latest[e.Advisory.ID] = e
		}
	}
	for _, e := range latest {
		a.Advisories = append(a.Advisories, e.Advisory)
	}
	sort.Slice(a.Advisories, func(i, j int) bool { return a.Advisories[i].ID < a.Advisories[j].ID })
	return a, nil
}

// Versions returns the versions of app slug of origin, yanked ones included, newest first.
func (c *Client) Versions(ctx context.Context, slug, origin string) ([]*Version, error) {
	origin = c.origin(origin)
	var raw struct {
		Versions []signedOnly `json:"versions"`
	}
	if err := c.get(ctx, appPath(slug, "/versions"), originQuery(origin), &raw); err != nil {
		return nil, err
	}
	return c.versions(raw.Versions, slug, origin)
}

// Latest returns the newest non-yanked version of app slug of origin on channel; ErrNotFound
// when there is none.
func (c *Client) Latest(ctx context.Context, slug, origin string, channel manifest.Channel) (*Version, error) {
	origin = c.origin(origin)
	q := originQuery(origin)
	q.Set("channel", string(channel))
	var raw signedOnly
	if err := c.get(ctx, appPath(slug, "/latest"), q, &raw); err != nil {
		return nil, err
	}
	e, err := c.open(raw.Entry, entry.KindVersion, slug, origin)
	if err != nil {
		return nil, err
	}
	v := versionOf(e)
	switch {
	case v.Channel != channel:
		return nil, fmt.Errorf("%w: asked for the latest %s version of %s, got %s on %s", ErrVerify, channel, slug, v.Version, v.Channel)
	case v.Yanked != nil:
		return nil, fmt.Errorf("%w: the latest %s version of %s, %s, is yanked", ErrVerify, channel, slug, v.Version)
	}
	return v, nil
}

// versions opens version entries: the latest entry of each version of each channel, newest
// version first.
func (c *Client) versions(list []signedOnly, slug, origin string) ([]*Version, error) {
	byVersion := map[string]*Version{}
	for _, s := range list {
		e, err := c.open(s.Entry, entry.KindVersion, slug, origin)
		if err != nil {
			return nil, err
		}
		v := versionOf(e)
		key := string(v.Channel) + " " + v.Version
		if prev := byVersion[key]; prev == nil || prev.Seq < v.Seq {
			byVersion[key] = v
		}
	}
	out := make([]*Version, 0, len(byVersion))
	for _, v := range byVersion {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := manifest.ParseVersion(out[i].Version) // checked by entry.Open
		b, _ := manifest.ParseVersion(out[j].Version)
		return b.Less(a)
	})
	return out, nil
}

// open verifies a signed entry against the pinned key and the origin's, and checks that it is
// of kind and about app slug of origin.
func (c *Client) open(sg *entry.Signed, kind entry.Kind, slug, origin string) (*entry.Entry, error) {
	if sg == nil {
		return nil, fmt.Errorf("%w: the answer about %s holds no signed %s entry", ErrVerify, slug, kind)
	}
	e, err := entry.Open(sg, c.key)
	if err != nil {
		return nil, fmt.Errorf("%w: %s from %s: %w", ErrVerify, kind, c.base, err)
	}
	if e.Kind != kind || e.Slug != slug || e.Origin.Key != origin {
		return nil, fmt.Errorf("%w: asked for the %s entry of %s from %s, got the %s entry of %s from %s",
			ErrVerify, kind, slug, origin, e.Kind, e.Slug, e.Origin.Key)
	}
	return e, nil
}

// origin is the origin key asked for: the registry's own when "".
func (c *Client) origin(origin string) string {
	if origin == "" {
		return c.key
	}
	return origin
}

func appPath(slug, rest string) string {
	return apiPrefix + "/apps/" + url.PathEscape(slug) + rest
}

func originQuery(origin string) url.Values {
	return url.Values{"origin": {origin}}
}
