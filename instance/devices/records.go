package devices

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"time"

	kivik "github.com/go-kivik/kivik/v4"
)

var errConflict = errors.New("devices: the record changed meanwhile")

func mac(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// get reads a device record.
func (s *Service) get(ctx context.Context, instanceID, id string) (*Device, error) {
	var d Device
	err := s.DB(instanceID).Get(ctx, id).ScanDoc(&d)
	switch {
	case kivik.HTTPStatus(err) == http.StatusNotFound:
		return nil, ErrNotFound
	case err != nil:
		return nil, fmt.Errorf("devices: read %s: %w", id, err)
	}
	return &d, nil
}

// put writes d at its revision (none for a new record) and sets its new revision; a record
// changed meanwhile is errConflict. The database is created by its first write.
func (s *Service) put(ctx context.Context, instanceID string, d *Device) error {
	db := s.DB(instanceID)
	rev, err := db.Put(ctx, d.ID, d)
	if kivik.HTTPStatus(err) == http.StatusNotFound && d.Rev == "" {
		cerr := db.Client().CreateDB(ctx, db.Name())
		if cerr != nil && kivik.HTTPStatus(cerr) != http.StatusPreconditionFailed {
			return fmt.Errorf("devices: create database: %w", cerr)
		}
		rev, err = db.Put(ctx, d.ID, d)
	}
	switch {
	case kivik.HTTPStatus(err) == http.StatusConflict:
		return errConflict
	case err != nil:
		return fmt.Errorf("devices: write %s: %w", d.ID, err)
	}
	d.Rev = rev
	return nil
}

// update applies change to the current record of id and writes it, again on a conflict.
// change returns false to write nothing.
func (s *Service) update(ctx context.Context, instanceID, id string, change func(d *Device) bool) (*Device, error) {
	for range 10 {
		d, err := s.get(ctx, instanceID, id)
		if err != nil {
			return nil, err
		}
		if !change(d) {
			return d, nil
		}
		err = s.put(ctx, instanceID, d)
		if errors.Is(err, errConflict) {
			continue
		}
		return d, err
	}
	return nil, fmt.Errorf("devices: update %s: %w", id, errConflict)
}

// List returns the instance's devices, active ones first, then revoked ones, each by approval
// time, newest first. Approvals whose code was never exchanged are left out (and deleted once
// their code expired).
func (s *Service) List(ctx context.Context, instanceID string) ([]Device, error) {
	db := s.DB(instanceID)
	rs := db.AllDocs(ctx, kivik.IncludeDocs())
	defer func() { _ = rs.Close() }()
	var out []Device
	now := s.now()
	for rs.Next() {
		var d Device
		if err := rs.ScanDoc(&d); err != nil {
			return nil, fmt.Errorf("devices: list: %w", err)
		}
		if d.ID == "" {
			continue
		}
		if d.State == StatePending {
			if now.After(d.CodeExpires.Add(CodeTTL)) {
				if _, err := db.Delete(ctx, d.ID, d.Rev); err != nil && kivik.HTTPStatus(err) != http.StatusConflict {
					s.log().Warn("devices: delete an expired approval", "instance", instanceID, "device", d.ID, "err", err)
				}
			}
			continue
		}
		out = append(out, d)
	}
	if err := rs.Err(); err != nil {
		if kivik.HTTPStatus(err) == http.StatusNotFound {
			return nil, nil // no device ever approved
		}
		return nil, fmt.Errorf("devices: list: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].State == StateActive) != (out[j].State == StateActive) {
			return out[i].State == StateActive
		}
		return out[i].Approved.After(out[j].Approved)
	})
	return out, nil
}

// Revoke revokes a device: its tokens stop working at once on this runtime.
func (s *Service) Revoke(ctx context.Context, instanceID, id string) error {
	return s.revoke(ctx, instanceID, id, "")
}

// revoke marks the device revoked, with why when it was not the owner's doing.
func (s *Service) revoke(ctx context.Context, instanceID, id, why string) error {
	s.checked.Forget(instanceID + "/" + id)
	_, err := s.update(ctx, instanceID, id, func(d *Device) bool {
		if d.State == StateRevoked {
			return false
		}
		d.State, d.Revoked, d.Why = StateRevoked, s.now(), why
		d.RedirectURI, d.Challenge = "", ""
		return true
	})
	s.checked.Forget(instanceID + "/" + id) // a Check may have read the record meanwhile
	if err != nil {
		return err
	}
	s.log().Info("devices: revoked", "instance", instanceID, "device", id, "why", why)
	if s.OnRevoke != nil {
		s.OnRevoke(instanceID, id)
	}
	return nil
}

// Check verifies an access token's device against its record: the device exists, is active,
// and still grants every scope the token carries. Records are trusted for CheckTTL.
func (s *Service) Check(ctx context.Context, instanceID, id string, scopes []string) error {
	key := instanceID + "/" + id
	now := s.now()
	d, ok := s.checked.Get(key, now)
	if !ok {
		var err error
		if d, err = s.get(ctx, instanceID, id); err != nil {
			return err
		}
		s.checked.Put(key, d, now.Add(s.checkTTL()))
	}
	if d.State != StateActive {
		return ErrRevoked
	}
	for _, sc := range scopes {
		if !slices.Contains(d.Scopes, sc) {
			return fmt.Errorf("devices: %s is not granted to the device", sc)
		}
	}
	return nil
}

// Seen records that the device used its token now: its last sync, written at most every
// SeenEvery. A failed write is logged, not returned: it must not fail the request.
func (s *Service) Seen(ctx context.Context, instanceID, id string) {
	key := instanceID + "/" + id
	now := s.now()
	s.seenMu.Lock()
	last, ok := s.seen[key]
	if ok && now.Sub(last) < s.seenEvery() {
		s.seenMu.Unlock()
		return
	}
	if s.seen == nil || len(s.seen) >= 100_000 {
		s.seen = map[string]time.Time{}
	}
	s.seen[key] = now
	s.seenMu.Unlock()
	_, err := s.update(ctx, instanceID, id, func(d *Device) bool {
		if d.State != StateActive || now.Sub(d.LastSync) < s.seenEvery() {
			return false
		}
		d.LastSync = now.Truncate(time.Second)
		return true
	})
	if err != nil {
		s.log().Warn("devices: record the last sync", "instance", instanceID, "device", id, "err", err)
	}
}
