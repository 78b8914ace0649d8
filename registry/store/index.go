package store

import (
	"context"
	"encoding/json"
	"fmt"

	"gorm.io/gorm"

	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// Indexed is what one run of the indexer found in an app's repository.
type Indexed struct {
	GitURL   string
	Slug     string
	Versions []entry.Version // new release versions
	Dev      *entry.Version  // the default branch's head, when it changed
	Problems []string        // refused tags, as the publisher reads them
	Refs     map[string]string
}

// CreateApp records a newly submitted app of the publisher and its first
// versions, each signed. A slug this registry already has is ErrExists; a
// run without any valid version is ErrInput.
func (s *Store) CreateApp(ctx context.Context, publisherID int64, in Indexed) (*App, []Version, error) {
	if !manifest.ValidSlug(in.Slug) {
		return nil, nil, fmt.Errorf("%w: the repository has no valid version to take the app's slug from", ErrInput)
	}
	var app *App
	var added []Version
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockFeed(tx); err != nil {
			return err
		}
		hook := randomText(18)
		now := stamp(s.now())
		row := appRow{OriginKey: s.origin.Key, OriginName: s.origin.Name, OriginURL: s.origin.URL, Slug: in.Slug,
			PublisherID: &publisherID, GitURL: in.GitURL, Name: in.Slug, HookID: &hook,
			HookSecret: randomText(24), UpdatedAt: now}
		if err := tx.Create(&row).Error; err != nil {
			return dbErr("app "+in.Slug, err)
		}
		var err error
		app, added, err = s.applyIndex(tx, &row, in)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return app, added, nil
}

// SaveIndex records a re-index of one of this registry's apps: its new
// versions, each signed, its problems and refs, and a new app entry when
// what the app's manifest says of it changed.
func (s *Store) SaveIndex(ctx context.Context, appID int64, in Indexed) (*App, []Version, error) {
	var app *App
	var added []Version
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockFeed(tx); err != nil {
			return err
		}
		var row appRow
		if err := tx.Where("id = ? AND publisher_id IS NOT NULL", appID).First(&row).Error; err != nil {
			return dbErr("app", err)
		}
		if in.Slug != "" && in.Slug != row.Slug {
			return fmt.Errorf("%w: the repository's slug is now %q, not %q", ErrInput, in.Slug, row.Slug)
		}
		var err error
		app, added, err = s.applyIndex(tx, &row, in)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return app, added, nil
}

// applyIndex publishes the new versions of in, then the app entry when it
// changed, and saves row.
func (s *Store) applyIndex(tx *gorm.DB, row *appRow, in Indexed) (*App, []Version, error) {
	var rows []versionRow
	if err := tx.Where("app_id = ?", row.ID).Find(&rows).Error; err != nil {
		return nil, nil, dbErr("versions", err)
	}
	have := map[string]bool{}
	for _, r := range rows {
		have[r.Channel+" "+r.Version] = true
	}
	problems := append([]string(nil), in.Problems...)
	news := append([]entry.Version(nil), in.Versions...)
	if in.Dev != nil {
		news = append(news, *in.Dev)
	}
	var added []Version
	for i := range news {
		v := &news[i]
		if v.Channel != manifest.ChannelDev && have[string(v.Channel)+" "+v.Version] {
			continue // already published: a release never changes
		}
		e := entry.Entry{Kind: entry.KindVersion, Slug: row.Slug, Version: v}
		if err := s.checkDraft(e); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", labelOf(v), err))
			continue
		}
		data, seq, err := s.publish(tx, row.ID, &e)
		if err != nil {
			return nil, nil, err
		}
		vr := versionRowOf(row.ID, v, e.Time, data, seq)
		if v.Channel == manifest.ChannelDev {
			if err := tx.Where("app_id = ? AND channel = ?", row.ID, string(manifest.ChannelDev)).Delete(&versionRow{}).Error; err != nil {
				return nil, nil, dbErr("dev version", err)
			}
			rows = dropDev(rows)
		}
		if err := tx.Create(&vr).Error; err != nil {
			return nil, nil, dbErr("version "+v.Version, err)
		}
		rows = append(rows, vr)
		added = append(added, vr.version())
	}
	sum := summarize(rows)
	if err := s.publishAppIfChanged(tx, row, sum); err != nil {
		return nil, nil, err
	}
	refs, _ := json.Marshal(in.Refs)
	probs, _ := json.Marshal(problems)
	now := stamp(s.now())
	row.Refs, row.Problems, row.IndexedAt = string(refs), string(probs), &now
	if len(added) > 0 || row.UpdatedAt.IsZero() {
		row.UpdatedAt = now
	}
	if in.GitURL != "" {
		row.GitURL = in.GitURL
	}
	row.LatestStable, row.LatestBeta, row.LatestDev = sum.latest.Stable, sum.latest.Beta, sum.latest.Dev
	if err := tx.Save(row).Error; err != nil {
		return nil, nil, dbErr("app", err)
	}
	sortVersions(added)
	return row.app(), added, nil
}

// publishAppIfChanged publishes a new app entry of row when what its
// versions say of it (or its deprecation) differs from its last entry.
func (s *Store) publishAppIfChanged(tx *gorm.DB, row *appRow, sum summary) error {
	info := row.appInfo()
	if m := sum.metaManifest(); m != nil {
		next := infoFromManifest(m, row.GitURL, "")
		next.Publisher, next.Deprecated = s.publisherName(tx, row), info.Deprecated
		info = next
	}
	if len(row.Signed) > 0 && sameJSON(info, row.appInfo()) {
		return nil
	}
	if info.Name == "" {
		return nil // no version describes the app yet
	}
	e := entry.Entry{Kind: entry.KindApp, Slug: row.Slug, App: info}
	data, seq, err := s.publish(tx, row.ID, &e)
	if err != nil {
		return err
	}
	row.setAppInfo(info)
	row.Signed, row.EntrySeq, row.UpdatedAt = data, seq, e.Time
	return nil
}

// publisherName is the name of row's publisher ("" when unknown).
func (s *Store) publisherName(tx *gorm.DB, row *appRow) string {
	if row.PublisherID == nil {
		return row.Publisher
	}
	var p publisherRow
	if tx.First(&p, *row.PublisherID).Error != nil {
		return row.Publisher
	}
	return p.Name
}

func dropDev(rows []versionRow) []versionRow {
	out := rows[:0]
	for _, r := range rows {
		if r.Channel != string(manifest.ChannelDev) {
			out = append(out, r)
		}
	}
	return out
}

// labelOf names a version in a problem: its tag, or "dev".
func labelOf(v *entry.Version) string {
	if v.Tag != "" {
		return v.Tag
	}
	return "dev"
}

// sameJSON reports whether a and b encode alike (nil and empty lists alike).
func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}
