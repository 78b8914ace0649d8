package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/hearth-cloud/hearth/registry/entry"
)

// ownApp loads one of this registry's apps in tx, after locking the feed.
func (s *Store) ownApp(tx *gorm.DB, appID int64) (*appRow, error) {
	if err := s.lockFeed(tx); err != nil {
		return nil, err
	}
	var row appRow
	if err := tx.Where("id = ? AND publisher_id IS NOT NULL", appID).First(&row).Error; err != nil {
		return nil, dbErr("app", err)
	}
	return &row, nil
}

// Deprecate publishes a new app entry with d as its deprecation; a nil d
// undoes it.
func (s *Store) Deprecate(ctx context.Context, appID int64, d *entry.Deprecation) (*App, error) {
	var app *App
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, err := s.ownApp(tx, appID)
		if err != nil {
			return err
		}
		info := row.appInfo()
		info.Deprecated = d
		e := entry.Entry{Kind: entry.KindApp, Slug: row.Slug, App: info}
		if err := s.checkDraft(e); err != nil {
			return fmt.Errorf("%w: %w", ErrInput, err)
		}
		data, seq, err := s.publish(tx, row.ID, &e)
		if err != nil {
			return err
		}
		row.setAppInfo(info)
		row.Signed, row.EntrySeq, row.UpdatedAt = data, seq, e.Time
		if err := tx.Save(row).Error; err != nil {
			return dbErr("app", err)
		}
		app = row.app()
		return nil
	})
	return app, err
}

// Yank publishes a new entry of the app's version v, withdrawn for reason.
// A release version is yanked before a dev version of the same number.
func (s *Store) Yank(ctx context.Context, appID int64, v, reason string) (*Version, error) {
	var out Version
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, err := s.ownApp(tx, appID)
		if err != nil {
			return err
		}
		var vr versionRow
		if err := tx.Where("app_id = ? AND version = ?", appID, v).Order("tag DESC").First(&vr).Error; err != nil {
			return dbErr("version "+v, err)
		}
		ev := vr.version().Version
		ev.Yanked = &entry.Yank{Reason: reason}
		e := entry.Entry{Kind: entry.KindVersion, Slug: row.Slug, Version: &ev}
		if err := s.checkDraft(e); err != nil {
			return fmt.Errorf("%w: %w", ErrInput, err)
		}
		data, seq, err := s.publish(tx, row.ID, &e)
		if err != nil {
			return err
		}
		vr.YankReason, vr.Signed, vr.EntrySeq = reason, data, seq
		if err := tx.Save(&vr).Error; err != nil {
			return dbErr("version", err)
		}
		out = vr.version()
		return s.resummarize(tx, row)
	})
	return &out, err
}

// resummarize recomputes the latest versions of row after a change of its
// versions, and saves row.
func (s *Store) resummarize(tx *gorm.DB, row *appRow) error {
	var rows []versionRow
	if err := tx.Where("app_id = ?", row.ID).Find(&rows).Error; err != nil {
		return dbErr("versions", err)
	}
	sum := summarize(rows)
	row.LatestStable, row.LatestBeta, row.LatestDev = sum.latest.Stable, sum.latest.Beta, sum.latest.Dev
	row.UpdatedAt = stamp(s.now())
	if err := tx.Save(row).Error; err != nil {
		return dbErr("app", err)
	}
	return nil
}

// PutAdvisory publishes an advisory about the app; one with the same id replaces it.
func (s *Store) PutAdvisory(ctx context.Context, appID int64, a entry.Advisory) (*Advisory, error) {
	var out *Advisory
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, err := s.ownApp(tx, appID)
		if err != nil {
			return err
		}
		e := entry.Entry{Kind: entry.KindAdvisory, Slug: row.Slug, Advisory: &a}
		if err := s.checkDraft(e); err != nil {
			return fmt.Errorf("%w: %w", ErrInput, err)
		}
		data, seq, err := s.publish(tx, row.ID, &e)
		if err != nil {
			return err
		}
		if err := saveAdvisory(tx, row.ID, &a, e.Time, data, seq); err != nil {
			return err
		}
		row.UpdatedAt = e.Time
		if err := tx.Model(row).Update("updated_at", e.Time).Error; err != nil {
			return dbErr("app", err)
		}
		out = &Advisory{Advisory: a, AppID: row.ID, Published: e.Time}
		return unmarshalSigned(data, &out.Signed)
	})
	return out, err
}

// saveAdvisory inserts or replaces the advisory row (app, a.ID).
func saveAdvisory(tx *gorm.DB, appID int64, a *entry.Advisory, published time.Time, signed []byte, seq int64) error {
	var r advisoryRow
	err := tx.Where("app_id = ? AND ident = ?", appID, a.ID).First(&r).Error
	if err != nil && !isNotFound(dbErr("", err)) {
		return dbErr("advisory", err)
	}
	r.AppID, r.Ident, r.Summary, r.Severity, r.Fixed, r.URL = appID, a.ID, a.Summary, a.Severity, a.Fixed, a.URL
	r.Published, r.Signed, r.EntrySeq = published, signed, seq
	return dbErr("advisory", tx.Save(&r).Error)
}

func unmarshalSigned(data []byte, sg *entry.Signed) error {
	if err := json.Unmarshal(data, sg); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}
