package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// errSkip rolls back a Mirror transaction whose entry is not newer.
var errSkip = errors.New("store: entry not newer")

// Mirror stores an entry received from peer p, already opened with
// entry.Open against p.Key: it countersigns sg with the store's signer,
// stores or updates the app, version or advisory row with the signed bytes
// (archives are the caller's job) and appends a Change, in one transaction.
// It returns ErrNotYours (wrapped, with a reason) when e's origin key is
// this registry's own, or when the app (origin key, slug) is held already
// and not through p. An entry whose e.Seq is not newer than the one held
// for the same app and e.Subject() is skipped: (false, nil).
func (s *Store) Mirror(ctx context.Context, p *Peer, sg *entry.Signed, e *entry.Entry) (bool, error) {
	res, err := s.MirrorAll(ctx, p, []MirrorItem{{Signed: sg, Entry: e}})
	if err != nil {
		return false, err
	}
	return res[0].Applied, res[0].Err
}

// MirrorItem is one entry for MirrorAll.
type MirrorItem struct {
	Signed *entry.Signed
	Entry  *entry.Entry
}

// MirrorResult is what MirrorAll did with one item: Applied, skipped (neither
// Applied nor Err), or refused with Err (ErrNotYours or ErrInput).
type MirrorResult struct {
	Applied bool
	Err     error
}

// MirrorAll is Mirror for many entries of peer p, in order, in one
// transaction (one commit for a whole page of a peer's feed): each entry is
// stored under a savepoint, so a refused one leaves the others. It fails
// as a whole only when the database does, and then stores nothing.
func (s *Store) MirrorAll(ctx context.Context, p *Peer, items []MirrorItem) ([]MirrorResult, error) {
	res := make([]MirrorResult, len(items))
	data := make([][]byte, len(items))
	for i, it := range items {
		data[i], res[i].Err = s.countersigned(it)
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockFeed(tx); err != nil {
			return err
		}
		for i, it := range items {
			if res[i].Err != nil {
				continue
			}
			err := tx.Transaction(func(tx *gorm.DB) error { return s.mirrorOne(tx, p, it.Entry, data[i]) })
			switch {
			case err == nil:
				res[i].Applied = true
			case errors.Is(err, errSkip):
			case errors.Is(err, ErrNotYours), errors.Is(err, ErrInput):
				res[i].Err = err
			default:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// countersigned checks that an item may be mirrored and returns its signed
// form with this registry's countersignature, as stored and served.
func (s *Store) countersigned(it MirrorItem) ([]byte, error) {
	if it.Entry.Origin.Key == s.origin.Key {
		return nil, fmt.Errorf("%w: %s is about an app of this registry", ErrNotYours, it.Entry.ID())
	}
	if !canonical(it.Signed.Entry) {
		return nil, fmt.Errorf("%w: the entry's bytes are not canonical JSON", ErrInput)
	}
	signed := entry.Signed{Entry: it.Signed.Entry, Signatures: slices.Clone(it.Signed.Signatures)}
	s.signer.Countersign(&signed)
	data, err := json.Marshal(signed)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	return data, nil
}

// mirrorOne stores one countersigned entry and its change in tx.
func (s *Store) mirrorOne(tx *gorm.DB, p *Peer, e *entry.Entry, data []byte) error {
	row, err := mirroredApp(tx, p, e)
	if err != nil {
		return err
	}
	switch e.Kind {
	case entry.KindApp:
		err = s.mirrorApp(tx, row, e, data)
	case entry.KindVersion:
		err = s.mirrorVersion(tx, row, e, data)
	case entry.KindAdvisory:
		err = s.mirrorAdvisory(tx, row, e, data)
	default:
		err = fmt.Errorf("%w: kind %q", ErrInput, e.Kind)
	}
	if err != nil {
		return err
	}
	seq, err := nextSeq(tx)
	if err != nil {
		return err
	}
	if err := tx.Create(&changeRow{Seq: seq, AppID: row.ID, Kind: string(e.Kind), Signed: data}).Error; err != nil {
		return dbErr("change", err)
	}
	row.UpdatedAt = stamp(s.now())
	return dbErr("app", tx.Save(row).Error)
}

// mirroredApp returns the app row of e held through p, creating it when
// no one holds it.
func mirroredApp(tx *gorm.DB, p *Peer, e *entry.Entry) (*appRow, error) {
	var row appRow
	err := tx.Where("origin_key = ? AND slug = ?", e.Origin.Key, e.Slug).First(&row).Error
	switch {
	case err == nil:
		if row.PeerID == nil || *row.PeerID != p.ID {
			return nil, fmt.Errorf("%w: %s is held here through another registry", ErrNotYours, e.ID())
		}
		return &row, nil
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return nil, dbErr("app", err)
	}
	peerID := p.ID
	row = appRow{OriginKey: e.Origin.Key, OriginName: e.Origin.Name, OriginURL: e.Origin.URL, Slug: e.Slug,
		PeerID: &peerID, Name: e.Slug, Search: e.Slug}
	if err := tx.Create(&row).Error; err != nil {
		return nil, dbErr("app", err)
	}
	return &row, nil
}

func (s *Store) mirrorApp(tx *gorm.DB, row *appRow, e *entry.Entry, data []byte) error {
	if row.EntrySeq >= e.Seq {
		return errSkip
	}
	row.OriginName, row.OriginURL = e.Origin.Name, e.Origin.URL
	row.setAppInfo(e.App)
	row.Signed, row.EntrySeq = data, e.Seq
	return nil
}

func (s *Store) mirrorVersion(tx *gorm.DB, row *appRow, e *entry.Entry, data []byte) error {
	v := e.Version
	var rows []versionRow
	if err := tx.Where("app_id = ?", row.ID).Find(&rows).Error; err != nil {
		return dbErr("versions", err)
	}
	dev := v.Channel == manifest.ChannelDev
	var old *versionRow
	for i := range rows {
		r := &rows[i]
		if r.Channel == string(v.Channel) && (dev || r.Version == v.Version) {
			if r.EntrySeq >= e.Seq {
				return errSkip
			}
			old = r
		}
	}
	vr := versionRowOf(row.ID, v, stamp(e.Time), data, e.Seq)
	if dev {
		if err := tx.Where("app_id = ? AND channel = ?", row.ID, string(manifest.ChannelDev)).Delete(&versionRow{}).Error; err != nil {
			return dbErr("dev version", err)
		}
		rows = dropDev(rows)
	} else if old != nil {
		vr.ID, vr.Published = old.ID, old.Published
		rows = slices.DeleteFunc(rows, func(r versionRow) bool { return r.ID == old.ID })
	}
	if err := tx.Save(&vr).Error; err != nil {
		return dbErr("version", err)
	}
	rows = append(rows, vr)
	sum := summarize(rows)
	row.LatestStable, row.LatestBeta, row.LatestDev = sum.latest.Stable, sum.latest.Beta, sum.latest.Dev
	if row.EntrySeq == 0 { // no app entry yet: describe the app by its versions
		if m := sum.metaManifest(); m != nil {
			row.setAppInfo(infoFromManifest(m, "", ""))
		}
	}
	return nil
}

func (s *Store) mirrorAdvisory(tx *gorm.DB, row *appRow, e *entry.Entry, data []byte) error {
	var r advisoryRow
	err := tx.Where("app_id = ? AND ident = ?", row.ID, e.Advisory.ID).First(&r).Error
	switch {
	case err == nil && r.EntrySeq >= e.Seq:
		return errSkip
	case err != nil && !errors.Is(err, gorm.ErrRecordNotFound):
		return dbErr("advisory", err)
	}
	return saveAdvisory(tx, row.ID, e.Advisory, stamp(e.Time), data, e.Seq)
}

// canonical reports whether data is JSON exactly as encoding/json writes
// it, so that serving it again keeps the bytes its signatures cover.
func canonical(data []byte) bool {
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		return false
	}
	var esc bytes.Buffer
	json.HTMLEscape(&esc, buf.Bytes())
	return bytes.Equal(esc.Bytes(), data)
}
