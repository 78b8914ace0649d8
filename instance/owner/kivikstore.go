package owner

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	kivik "github.com/go-kivik/kivik/v4"
)

// KivikStore is a Store on one kivik database (embedded driver or CouchDB): each key is a
// document whose "v" field holds the value. The database is created on the first write if it
// does not exist.
type KivikStore struct {
	DB *kivik.DB
}

var _ Store = KivikStore{}

type kivikDoc struct {
	ID  string          `json:"_id"`
	Rev string          `json:"_rev,omitempty"`
	V   json.RawMessage `json:"v"`
}

// Get implements Store.
func (s KivikStore) Get(ctx context.Context, key string) ([]byte, string, error) {
	var d kivikDoc
	if err := s.DB.Get(ctx, key).ScanDoc(&d); err != nil {
		return nil, "", storeErr("get", key, err)
	}
	return d.V, d.Rev, nil
}

// Put implements Store.
func (s KivikStore) Put(ctx context.Context, key string, value []byte, rev string) (string, error) {
	if !json.Valid(value) {
		return "", fmt.Errorf("owner: put %s: value is not JSON", key)
	}
	d := kivikDoc{ID: key, Rev: rev, V: value}
	newRev, err := s.DB.Put(ctx, key, d)
	if kivik.HTTPStatus(err) == http.StatusNotFound && rev == "" {
		// The database does not exist yet: create it (a concurrent creator answers 412).
		cerr := s.DB.Client().CreateDB(ctx, s.DB.Name())
		if cerr != nil && kivik.HTTPStatus(cerr) != http.StatusPreconditionFailed {
			return "", fmt.Errorf("owner: create database %s: %w", s.DB.Name(), cerr)
		}
		newRev, err = s.DB.Put(ctx, key, d)
	}
	if err != nil {
		return "", storeErr("put", key, err)
	}
	return newRev, nil
}

// Delete implements Store.
func (s KivikStore) Delete(ctx context.Context, key, rev string) error {
	if _, err := s.DB.Delete(ctx, key, rev); err != nil {
		return storeErr("delete", key, err)
	}
	return nil
}

// List implements Store.
func (s KivikStore) List(ctx context.Context, prefix string) ([]Entry, error) {
	rs := s.DB.AllDocs(ctx, kivik.IncludeDocs(),
		kivik.Param("startkey", prefix), kivik.Param("endkey", prefix+"\ufff0"))
	defer func() { _ = rs.Close() }()
	var out []Entry
	for rs.Next() {
		var d kivikDoc
		if err := rs.ScanDoc(&d); err != nil {
			return nil, storeErr("list", prefix, err)
		}
		if d.ID == "" {
			continue // deleted between the listing and the read of its body
		}
		out = append(out, Entry{Key: d.ID, Value: d.V, Rev: d.Rev})
	}
	if err := rs.Err(); err != nil {
		if kivik.HTTPStatus(err) == http.StatusNotFound {
			return nil, nil // no database yet: nothing stored
		}
		return nil, storeErr("list", prefix, err)
	}
	return out, nil
}

func storeErr(op, key string, err error) error {
	switch kivik.HTTPStatus(err) {
	case http.StatusNotFound:
		return fmt.Errorf("owner: %s %s: %w", op, key, ErrStoreNotFound)
	case http.StatusConflict:
		return fmt.Errorf("owner: %s %s: %w", op, key, ErrStoreConflict)
	}
	return fmt.Errorf("owner: %s %s: %w", op, key, err)
}
