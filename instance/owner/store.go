package owner

import (
	"context"
	"errors"
)

// Store keeps the owner's records as opaque JSON values under string keys, with revisions for
// optimistic concurrency. Implementations must be safe for concurrent use.
type Store interface {
	// Get returns the value under key and its revision, or ErrStoreNotFound.
	Get(ctx context.Context, key string) (value []byte, rev string, err error)
	// Put stores value under key if rev is the current revision ("" to create) and returns the
	// new revision, or ErrStoreConflict when rev is not current.
	Put(ctx context.Context, key string, value []byte, rev string) (newRev string, err error)
	// Delete removes key at revision rev: ErrStoreConflict when rev is not current,
	// ErrStoreNotFound when key does not exist.
	Delete(ctx context.Context, key, rev string) error
	// List returns every entry whose key starts with prefix, in key order.
	List(ctx context.Context, prefix string) ([]Entry, error)
}

// Entry is one record a Store lists.
type Entry struct {
	Key   string
	Value []byte
	Rev   string
}

// Errors a Store returns (wrapped or not).
var (
	ErrStoreNotFound = errors.New("owner: record not found")
	ErrStoreConflict = errors.New("owner: record changed concurrently")
)
