package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"github.com/hearth-cloud/hearth/registry/entry"
)

// Peer is a registry this one follows.
type Peer struct {
	ID        int64
	URL, Key  string // the peer's base URL and its pinned key
	Name      string // as its well-known document says
	Cursor    int64  // the last seq of its feed taken
	LastError string
	LastOK    time.Time
}

// Change is one entry of the feed: seq is this registry's.
type Change struct {
	Seq    int64
	Signed entry.Signed
}

// AddPeer records a peer to follow; adding a URL again updates its key.
func (s *Store) AddPeer(ctx context.Context, url, key string) (*Peer, error) {
	if _, err := entry.ParseFingerprint(key); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	if key == s.origin.Key {
		return nil, fmt.Errorf("%w: that key is this registry's own", ErrInput)
	}
	row := peerRow{URL: url, Key: key}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "url"}}, DoUpdates: clause.AssignmentColumns([]string{"key"}),
	}).Create(&row).Error
	if err != nil {
		return nil, dbErr("peer", err)
	}
	if err := s.db.WithContext(ctx).Where("url = ?", url).First(&row).Error; err != nil {
		return nil, dbErr("peer", err)
	}
	return row.peer(), nil
}

// Peers lists the peers, by id.
func (s *Store) Peers(ctx context.Context) ([]Peer, error) {
	var rows []peerRow
	if err := s.db.WithContext(ctx).Order("id").Find(&rows).Error; err != nil {
		return nil, dbErr("peers", err)
	}
	out := make([]Peer, 0, len(rows))
	for i := range rows {
		out = append(out, *rows[i].peer())
	}
	return out, nil
}

// SavePeer saves p's name, cursor, last error and last success.
func (s *Store) SavePeer(ctx context.Context, p *Peer) error {
	var lastOK *time.Time
	if !p.LastOK.IsZero() {
		t := stamp(p.LastOK)
		lastOK = &t
	}
	res := s.db.WithContext(ctx).Model(&peerRow{}).Where("id = ?", p.ID).Updates(map[string]any{
		"name": p.Name, "cursor": p.Cursor, "last_error": p.LastError, "last_ok": lastOK})
	if res.Error != nil {
		return dbErr("peer", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("%w: peer %d", ErrNotFound, p.ID)
	}
	return nil
}

func (r *peerRow) peer() *Peer {
	p := &Peer{ID: r.ID, URL: r.URL, Key: r.Key, Name: r.Name, Cursor: r.Cursor, LastError: r.LastError}
	if r.LastOK != nil {
		p.LastOK = r.LastOK.UTC()
	}
	return p
}

// Changes returns the feed after since, up to limit, and whether more follow.
func (s *Store) Changes(ctx context.Context, since int64, limit int) ([]Change, bool, error) {
	if limit <= 0 {
		return nil, false, fmt.Errorf("%w: limit must be positive", ErrInput)
	}
	var rows []changeRow
	err := s.db.WithContext(ctx).Where("seq > ?", since).Order("seq").Limit(limit + 1).Find(&rows).Error
	if err != nil {
		return nil, false, dbErr("changes", err)
	}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	out := make([]Change, len(rows))
	for i, r := range rows {
		out[i].Seq = r.Seq
		if err := json.Unmarshal(r.Signed, &out[i].Signed); err != nil {
			return nil, false, fmt.Errorf("store: change %d: %w", r.Seq, err)
		}
	}
	return out, more, nil
}
