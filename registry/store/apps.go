package store

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// App is an app as the registry holds it: its own, or mirrored from a peer.
type App struct {
	ID          int64
	Origin      entry.Origin
	Slug        string
	Name        string
	Description string
	Publisher   string
	Categories  []string
	Source      string // the Git URL
	Homepage    string
	Latest      Latest
	Deprecated  *entry.Deprecation
	Updated     time.Time

	PublisherID int64 // the owner, for an app this registry indexes; else 0
	PeerID      int64 // the peer it came through, for a mirrored app; else 0
	HookID      string
	HookSecret  string
	Refs        map[string]string // what the indexer knew after the last run
	Problems    []string          // of the last run that changed something
	IndexedAt   time.Time
	// Signed is the app entry; nil for a mirrored app whose app entry has not arrived.
	Signed *entry.Signed
}

// Latest names the newest non-yanked version on each channel ("" for none).
type Latest struct {
	Stable string `json:"stable,omitempty"`
	Beta   string `json:"beta,omitempty"`
	Dev    string `json:"dev,omitempty"`
}

// Of returns the latest version of channel c.
func (l Latest) Of(c manifest.Channel) string {
	switch c {
	case manifest.ChannelStable:
		return l.Stable
	case manifest.ChannelBeta:
		return l.Beta
	case manifest.ChannelDev:
		return l.Dev
	}
	return ""
}

// Version is one version of an app with its signed entry.
type Version struct {
	entry.Version
	AppID     int64
	Published time.Time
	Signed    entry.Signed
}

// Advisory is a security advisory with its signed entry.
type Advisory struct {
	entry.Advisory
	AppID     int64
	Published time.Time
	Signed    entry.Signed
}

// App returns the app (originKey, slug).
func (s *Store) App(ctx context.Context, originKey, slug string) (*App, error) {
	var row appRow
	err := s.db.WithContext(ctx).Where("origin_key = ? AND slug = ?", originKey, slug).First(&row).Error
	if err != nil {
		return nil, dbErr("app "+slug, err)
	}
	return row.app(), nil
}

// AppByHook returns the app whose webhook id is hookID.
func (s *Store) AppByHook(ctx context.Context, hookID string) (*App, error) {
	var row appRow
	if err := s.db.WithContext(ctx).Where("hook_id = ?", hookID).First(&row).Error; err != nil {
		return nil, dbErr("webhook", err)
	}
	return row.app(), nil
}

// AppsOf lists a publisher's apps, by slug.
func (s *Store) AppsOf(ctx context.Context, publisherID int64) ([]App, error) {
	var rows []appRow
	if err := s.db.WithContext(ctx).Where("publisher_id = ?", publisherID).Order("slug").Find(&rows).Error; err != nil {
		return nil, dbErr("apps", err)
	}
	return apps(rows), nil
}

// OwnApps lists the apps this registry indexes (not the mirrored ones), by id.
func (s *Store) OwnApps(ctx context.Context) ([]App, error) {
	var rows []appRow
	if err := s.db.WithContext(ctx).Where("publisher_id IS NOT NULL").Order("id").Find(&rows).Error; err != nil {
		return nil, dbErr("apps", err)
	}
	return apps(rows), nil
}

// Versions lists an app's versions, newest first (releases before dev at
// equal versions), yanked ones included.
func (s *Store) Versions(ctx context.Context, appID int64) ([]Version, error) {
	var rows []versionRow
	if err := s.db.WithContext(ctx).Where("app_id = ?", appID).Find(&rows).Error; err != nil {
		return nil, dbErr("versions", err)
	}
	out := make([]Version, 0, len(rows))
	for i := range rows {
		out = append(out, rows[i].version())
	}
	sortVersions(out)
	return out, nil
}

// Advisories lists an app's advisories, newest first.
func (s *Store) Advisories(ctx context.Context, appID int64) ([]Advisory, error) {
	var rows []advisoryRow
	if err := s.db.WithContext(ctx).Where("app_id = ?", appID).Order("published DESC, id DESC").Find(&rows).Error; err != nil {
		return nil, dbErr("advisories", err)
	}
	out := make([]Advisory, 0, len(rows))
	for _, r := range rows {
		a := Advisory{Advisory: entry.Advisory{ID: r.Ident, Summary: r.Summary, Severity: r.Severity, Fixed: r.Fixed, URL: r.URL},
			AppID: r.AppID, Published: r.Published}
		_ = json.Unmarshal(r.Signed, &a.Signed)
		out = append(out, a)
	}
	return out, nil
}

// sortVersions orders newest first; a dev version after a release of the same version.
func sortVersions(vs []Version) {
	sort.SliceStable(vs, func(i, j int) bool {
		a, _ := manifest.ParseVersion(vs[i].Version.Version)
		b, _ := manifest.ParseVersion(vs[j].Version.Version)
		if c := a.Compare(b); c != 0 {
			return c > 0
		}
		return vs[i].Channel != manifest.ChannelDev && vs[j].Channel == manifest.ChannelDev
	})
}

func apps(rows []appRow) []App {
	out := make([]App, 0, len(rows))
	for i := range rows {
		out = append(out, *rows[i].app())
	}
	return out
}

func (r *appRow) app() *App {
	a := &App{ID: r.ID, Origin: entry.Origin{Name: r.OriginName, Key: r.OriginKey, URL: r.OriginURL},
		Slug: r.Slug, Name: r.Name, Description: r.Description, Publisher: r.Publisher,
		Categories: strings.Fields(r.Categories), Source: r.GitURL, Homepage: r.Homepage,
		Latest:  Latest{Stable: r.LatestStable, Beta: r.LatestBeta, Dev: r.LatestDev},
		Updated: r.UpdatedAt.UTC(), HookSecret: r.HookSecret}
	if r.DeprecatedReason != "" {
		a.Deprecated = &entry.Deprecation{Reason: r.DeprecatedReason, Replacement: r.DeprecatedReplacement}
	}
	if r.PublisherID != nil {
		a.PublisherID = *r.PublisherID
	}
	if r.PeerID != nil {
		a.PeerID = *r.PeerID
	}
	if r.HookID != nil {
		a.HookID = *r.HookID
	}
	if r.IndexedAt != nil {
		a.IndexedAt = r.IndexedAt.UTC()
	}
	_ = json.Unmarshal([]byte(r.Refs), &a.Refs)
	_ = json.Unmarshal([]byte(r.Problems), &a.Problems)
	if len(r.Signed) > 0 {
		a.Signed = &entry.Signed{}
		if json.Unmarshal(r.Signed, a.Signed) != nil {
			a.Signed = nil
		}
	}
	return a
}

func (r *versionRow) version() Version {
	v := Version{Version: entry.Version{Version: r.Version, Channel: manifest.Channel(r.Channel), Tag: r.Tag,
		Commit: r.Commit, Tree: r.Tree, Manifest: json.RawMessage(r.Manifest),
		ArchiveSHA256: r.ArchiveSHA256, ArchiveSize: r.ArchiveSize}, AppID: r.AppID, Published: r.Published.UTC()}
	if r.YankReason != "" {
		v.Yanked = &entry.Yank{Reason: r.YankReason}
	}
	_ = json.Unmarshal(r.Signed, &v.Signed)
	return v
}

// setAppInfo fills the descriptive columns of r from an app entry's fields.
func (r *appRow) setAppInfo(a *entry.App) {
	r.Name, r.Description, r.Publisher, r.Homepage = a.Name, a.Description, a.Publisher, a.Homepage
	r.GitURL = a.Source
	r.Categories = ""
	if len(a.Categories) > 0 {
		r.Categories = " " + strings.Join(a.Categories, " ") + " "
	}
	r.DeprecatedReason, r.DeprecatedReplacement = "", ""
	if a.Deprecated != nil {
		r.DeprecatedReason, r.DeprecatedReplacement = a.Deprecated.Reason, a.Deprecated.Replacement
	}
	r.Search = strings.ToLower(strings.Join([]string{r.Name, r.Slug, r.Description, r.Publisher}, " "))
}

// appInfo is the app entry's fields as r holds them.
func (r *appRow) appInfo() *entry.App {
	a := &entry.App{Name: r.Name, Description: r.Description, Source: r.GitURL, Homepage: r.Homepage,
		Publisher: r.Publisher, Categories: strings.Fields(r.Categories)}
	if r.DeprecatedReason != "" {
		a.Deprecated = &entry.Deprecation{Reason: r.DeprecatedReason, Replacement: r.DeprecatedReplacement}
	}
	return a
}

// infoFromManifest is what an app entry says, taken from a version's manifest.
func infoFromManifest(m *manifest.Manifest, source, publisher string) *entry.App {
	a := &entry.App{Name: m.Name, Description: m.Description, Source: source, Publisher: publisher,
		Categories: m.Categories}
	if strings.HasPrefix(m.Homepage, "https://") || strings.HasPrefix(m.Homepage, "http://") {
		a.Homepage = m.Homepage
	}
	if a.Source == "" {
		a.Source = m.Source
	}
	if a.Publisher == "" && m.Publisher != nil {
		a.Publisher = m.Publisher.Name
	}
	return a
}

// AppByID returns one app.
func (s *Store) AppByID(ctx context.Context, id int64) (*App, error) {
	var row appRow
	if err := s.db.WithContext(ctx).First(&row, id).Error; err != nil {
		return nil, dbErr("app", err)
	}
	return row.app(), nil
}
