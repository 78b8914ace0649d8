package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/libtnb/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"

	"github.com/hearth-cloud/hearth/registry/entry"
)

// Errors of the store, wrapped with details; test with errors.Is.
var (
	ErrNotFound = errors.New("store: not found")
	ErrExists   = errors.New("store: already exists")
	// ErrNotYours is returned by Mirror for an entry that the peer may not
	// change here: this registry's own, or an app held through another path.
	ErrNotYours = errors.New("store: not this peer's to change")
	ErrLogin    = errors.New("store: wrong email or password")
	ErrCursor   = errors.New("store: cursor not valid with these filters")
	ErrInput    = errors.New("store: invalid input")
)

// Options are what the store signs with.
type Options struct {
	Origin entry.Origin // this registry: its name, key and URL
	Signer *entry.Signer
}

// Store holds a registry's rows.
type Store struct {
	db       *gorm.DB
	postgres bool
	origin   entry.Origin
	signer   *entry.Signer
	now      func() time.Time
}

// SQLiteFile is the database's name in the data directory when no URL is given.
const SQLiteFile = "registry.db"

// seqCounter names the one counter of the feed.
const seqCounter = "seq"

// Open connects to databaseURL ("" for SQLite at dataDir/registry.db,
// postgres:// or postgresql:// for PostgreSQL) and migrates the tables.
func Open(ctx context.Context, databaseURL, dataDir string, opts Options) (*Store, error) {
	if opts.Signer == nil || opts.Origin.Key != opts.Signer.Fingerprint() {
		return nil, fmt.Errorf("%w: the origin key must be the signer's", ErrInput)
	}
	s := &Store{origin: opts.Origin, signer: opts.Signer, now: func() time.Time { return time.Now().UTC() }}
	var dial gorm.Dialector
	switch {
	case databaseURL == "":
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		dial = sqlite.Open("file:" + filepath.Join(dataDir, SQLiteFile) +
			"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		dial, s.postgres = postgres.Open(databaseURL), true
	default:
		return nil, fmt.Errorf("%w: database URL must be postgres://… (or empty for SQLite)", ErrInput)
	}
	db, err := gorm.Open(dial, &gorm.Config{Logger: logger.Discard, TranslateError: true})
	if err != nil {
		return nil, fmt.Errorf("store: open database: %w", err)
	}
	s.db = db
	if sqlDB, err := db.DB(); err == nil {
		sqlDB.SetMaxOpenConns(16)
		sqlDB.SetMaxIdleConns(16)
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	db := s.db.WithContext(ctx)
	if err := db.AutoMigrate(&publisherRow{}, &tokenRow{}, &appRow{}, &versionRow{},
		&advisoryRow{}, &changeRow{}, &peerRow{}, &counterRow{}); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&counterRow{Name: seqCounter}).Error; err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	if s.postgres {
		s.trigramIndex(ctx)
	}
	return nil
}

// trigramIndex adds a pg_trgm index on the search column, which makes the
// LIKE of every search word an index scan; without the extension, searches
// scan the table, which is still correct.
func (s *Store) trigramIndex(ctx context.Context) {
	db := s.db.WithContext(ctx)
	if db.Exec(`CREATE EXTENSION IF NOT EXISTS pg_trgm`).Error != nil {
		return
	}
	// fastupdate off: new rows go straight into the index instead of a
	// pending list that the planner prices as a table scan until a vacuum.
	_ = db.Exec(`CREATE INDEX IF NOT EXISTS apps_search_trgm ON apps USING gin (search gin_trgm_ops) WITH (fastupdate = off)`).Error
	_ = db.Exec(`ALTER INDEX IF EXISTS apps_search_trgm SET (fastupdate = off)`).Error
}

// Close closes the database.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Origin is this registry, as its entries name it.
func (s *Store) Origin() entry.Origin { return s.origin }

// nextSeq bumps the feed's counter in tx and returns its new value. It is
// the first write of every transaction that publishes, so that its row
// lock orders them.
func nextSeq(tx *gorm.DB) (int64, error) {
	var v int64
	err := tx.Raw(`UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value`, seqCounter).Scan(&v).Error
	if err != nil || v == 0 {
		return 0, fmt.Errorf("store: next seq: %w", errors.Join(err, errors.New("no counter")))
	}
	return v, nil
}

// lockFeed takes the feed counter's row lock in tx before anything else is
// read, so that the transaction's reads and its seqs agree with the order
// of commits. SQLite transactions begin IMMEDIATE: they hold the one write
// lock already.
func (s *Store) lockFeed(tx *gorm.DB) error {
	if !s.postgres {
		return nil
	}
	var v int64
	if err := tx.Raw(`SELECT value FROM counters WHERE name = ? FOR UPDATE`, seqCounter).Scan(&v).Error; err != nil {
		return fmt.Errorf("store: lock the feed: %w", err)
	}
	return nil
}

// dbErr wraps a database error, naming ErrNotFound and ErrExists.
func dbErr(what string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return fmt.Errorf("%w: %s", ErrNotFound, what)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("%w: %s", ErrExists, what)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// stamp is t as both databases keep it: UTC, microseconds.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
