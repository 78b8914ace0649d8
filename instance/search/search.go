// Package search is the full-text index of every instance: one Bleve index (scorch, on disk)
// per instance, fed from the Data System's changes feed of each of its doctypes, with a
// checkpoint per doctype committed in the same batch as the documents it covers, so that after a
// crash or a restart indexing resumes where it stopped. Writes wake the indexer (Notify); a
// search reads only the doctypes its caller may read, filtered inside the query. Indexes unused
// for a while are closed, so that a runtime of many instances holds few of them open.
package search

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hearth-cloud/hearth/instance/store"
)

// Errors of this package. Those wrapping ErrBadRequest and ErrForbidden carry a message safe
// to show the caller.
var (
	ErrBadRequest = errors.New("search: bad request")
	ErrForbidden  = errors.New("search: forbidden")
	ErrReindexing = errors.New("search: a reindex of this instance is already running")
	ErrClosed     = errors.New("search: indexer closed")
)

// Defaults of Config.
const (
	DefaultIdleTimeout = 2 * time.Minute
	DefaultMaxOpen     = 256
	DefaultBatchSize   = 2000
	fieldsTTL          = 5 * time.Second // how long the searchable fields of an instance are trusted
)

// FieldsFunc returns the searchable fields the installed apps of an instance declare, by
// doctype (dotted paths); a doctype absent from the map has every string field indexed.
type FieldsFunc func(ctx context.Context, instanceID string) (map[string][]string, error)

// LocaleFunc returns the locale of an instance ("fr", "en-GB"; "" for none).
type LocaleFunc func(ctx context.Context, instanceID string) (string, error)

// Config is what an Indexer needs.
type Config struct {
	Dir     string     // holds one directory per instance: {Dir}/{instance-id}/
	DBs     *store.DBs // the Data System's databases
	Fields  FieldsFunc // nil: every string field of every doctype
	Locale  LocaleFunc // nil: no locale, the standard analyzer
	Exclude []string   // doctypes never indexed (Hearth's own records)
	// IdleTimeout closes an instance's index unused this long; MaxOpen bounds the indexes open
	// at once (the least recently used idle ones are closed first). BatchSize is how many
	// changes one page of the feed holds, indexed as one Bleve batch per core.
	IdleTimeout time.Duration
	MaxOpen     int
	BatchSize   int
	Log         *slog.Logger
}

// Indexer keeps the index of every instance of a runtime. Build it with New.
type Indexer struct {
	cfg    Config
	ctx    context.Context // ends with Close: stops the workers
	cancel context.CancelFunc
	done   chan struct{} // closed when the janitor has stopped

	mu     sync.Mutex
	shards map[string]*shard // instance id → shard, open or not; guarded by mu
	closed bool              // guarded by mu

	open    atomic.Int64  // indexes open now
	indexed atomic.Uint64 // changes applied since New, for tests and benchmarks
	poke    chan struct{} // asks the janitor to look now (too many open)
	workers sync.WaitGroup
}

// New starts an indexer; Close stops it.
func New(cfg Config) (*Indexer, error) {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxOpen <= 0 {
		cfg.MaxOpen = DefaultMaxOpen
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	ix := &Indexer{cfg: cfg, ctx: ctx, cancel: cancel, done: make(chan struct{}),
		shards: map[string]*shard{}, poke: make(chan struct{}, 1)}
	go ix.janitor()
	return ix, nil
}

// Close stops indexing and closes every index. What was committed stays; what was not is
// indexed again from the checkpoints at the next start.
func (ix *Indexer) Close() error {
	ix.mu.Lock()
	if ix.closed {
		ix.mu.Unlock()
		return nil
	}
	ix.closed = true
	ix.mu.Unlock()
	ix.cancel()
	<-ix.done
	ix.workers.Wait()
	var errs []error
	for _, s := range ix.shards {
		errs = append(errs, s.close())
	}
	return errors.Join(errs...)
}

// Notify tells the indexer that a document of doctype changed on an instance: the change is
// indexed shortly. It never blocks on the index.
func (ix *Indexer) Notify(instanceID, doctype string) {
	if slices.Contains(ix.cfg.Exclude, doctype) {
		return
	}
	if s := ix.acquire(instanceID); s != nil {
		s.mark(doctype)
		ix.release(s)
	}
}

// Indexed counts the changes applied to the indexes since New.
func (ix *Indexer) Indexed() uint64 { return ix.indexed.Load() }

// OpenIndexes counts the indexes open now.
func (ix *Indexer) OpenIndexes() int { return int(ix.open.Load()) }

// acquire returns the shard of an instance, holding it against the janitor; nil once closed.
func (ix *Indexer) acquire(instanceID string) *shard {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return nil
	}
	s := ix.shards[instanceID]
	if s == nil {
		s = newShard(ix, instanceID)
		ix.shards[instanceID] = s
	}
	s.mu.Lock()
	s.refs++
	s.mu.Unlock()
	return s
}

func (ix *Indexer) release(s *shard) {
	s.mu.Lock()
	s.refs--
	s.lastUsed = time.Now()
	s.mu.Unlock()
}

// janitor closes the indexes idle for IdleTimeout, and the least recently used idle ones when
// more than MaxOpen are open.
func (ix *Indexer) janitor() {
	defer close(ix.done)
	every := max(ix.cfg.IdleTimeout/4, 50*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ix.ctx.Done():
			return
		case <-t.C:
		case <-ix.poke:
		}
		ix.closeIdle(time.Now())
	}
}

func (ix *Indexer) closeIdle(now time.Time) {
	type idle struct {
		s    *shard
		used time.Time
	}
	var list []idle
	ix.mu.Lock()
	for _, s := range ix.shards {
		s.mu.Lock()
		if s.refs == 0 && !s.running && s.isOpen() {
			list = append(list, idle{s, s.lastUsed})
		}
		s.mu.Unlock()
	}
	ix.mu.Unlock()
	slices.SortFunc(list, func(a, b idle) int { return a.used.Compare(b.used) })
	excess := int(ix.open.Load()) - ix.cfg.MaxOpen
	for _, e := range list {
		if now.Sub(e.used) < ix.cfg.IdleTimeout && excess <= 0 {
			continue
		}
		if e.s.closeIfIdle() {
			excess--
		}
	}
}

// DropDoctype removes a doctype's documents from an instance's index, after its database was
// destroyed (a database created again later starts its sequences over).
func (ix *Indexer) DropDoctype(ctx context.Context, instanceID, doctype string) error {
	s := ix.acquire(instanceID)
	if s == nil {
		return ErrClosed
	}
	defer ix.release(s)
	if err := s.ensureOpen(ctx); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	idx, _, _ := s.current()
	if idx == nil {
		return errNotOpen
	}
	return dropDoctype(ctx, idx, doctype)
}

// DropInstance closes and deletes an instance's index, after the instance was removed.
func (ix *Indexer) DropInstance(instanceID string) error {
	ix.mu.Lock()
	s := ix.shards[instanceID]
	delete(ix.shards, instanceID)
	ix.mu.Unlock()
	if s != nil {
		s.dropped.Store(true)
		s.writeMu.Lock()
		err := s.close()
		s.writeMu.Unlock()
		if err != nil {
			return err
		}
	}
	return os.RemoveAll(filepath.Join(ix.cfg.Dir, instanceID))
}
