package client

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// Query filters a registry's app list.
type Query struct {
	Q        string           // words that must all match
	Category string           // a category
	Channel  manifest.Channel // keep apps with a version on this channel
	Cursor   string           // from the previous Page
	Limit    int              // 1 to 100; zero: the registry's default
}

// Page is one page of a registry's app list.
type Page struct {
	Apps       []*Listing
	NextCursor string // "" on the last page
	// Refused counts the apps of the answer left out because a field was malformed.
	Refused int
}

// Listing is an app as a registry's list shows it. It is not signed: show it, but take what to
// install from App or Latest. Its fields are checked as an app entry's.
type Listing struct {
	Slug        string                      `json:"slug"`
	Origin      entry.Origin                `json:"origin"`
	Name        string                      `json:"name"`
	Description string                      `json:"description"`
	Publisher   string                      `json:"publisher"`
	Categories  []string                    `json:"categories"`
	Source      string                      `json:"source"`
	Homepage    string                      `json:"homepage"`
	Latest      map[manifest.Channel]string `json:"latest"`
	Deprecated  *entry.Deprecation          `json:"deprecated"`
	Updated     time.Time                   `json:"updated"`
}

// ID is the app's identity: origin key and slug.
func (l *Listing) ID() entry.AppID { return entry.AppID{Origin: l.Origin.Key, Slug: l.Slug} }

// check applies the rules of a signed app entry to the listing's fields.
func (l *Listing) check() error {
	e := entry.Entry{Kind: entry.KindApp, Origin: l.Origin, Slug: l.Slug, Seq: 1, Time: time.Unix(1, 0),
		App: &entry.App{Name: l.Name, Description: l.Description, Source: l.Source, Homepage: l.Homepage,
			Publisher: l.Publisher, Categories: l.Categories, Deprecated: l.Deprecated}}
	if e.App.Source == "" {
		e.App.Source = "-"
	}
	if err := e.Check(); err != nil {
		return err
	}
	for ch, v := range l.Latest {
		if _, err := manifest.ParseVersion(v); err != nil || len(ch) > 16 {
			delete(l.Latest, ch)
		}
	}
	return nil
}

// List returns one page of the registry's apps (its own and those it mirrors).
func (c *Client) List(ctx context.Context, q Query) (*Page, error) {
	params := url.Values{}
	for k, v := range map[string]string{"q": q.Q, "category": q.Category, "channel": string(q.Channel), "cursor": q.Cursor} {
		if v != "" {
			params.Set(k, v)
		}
	}
	if q.Limit > 0 {
		params.Set("limit", strconv.Itoa(q.Limit))
	}
	var raw struct {
		Apps       []*Listing `json:"apps"`
		NextCursor string     `json:"next_cursor"`
	}
	if err := c.get(ctx, apiPrefix+"/apps", params, &raw); err != nil {
		return nil, err
	}
	p := &Page{NextCursor: raw.NextCursor}
	for _, l := range raw.Apps {
		if l == nil || l.check() != nil {
			p.Refused++
			continue
		}
		p.Apps = append(p.Apps, l)
	}
	return p, nil
}
