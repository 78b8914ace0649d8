package search

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/index/scorch"
)

// currentFile names, in an instance's directory, the generation of its index in use: a reindex
// builds the next generation beside it and swaps by rewriting this file.
const currentFile = "CURRENT"

// shard is one instance's index, open or not.
type shard struct {
	ix  *Indexer
	id  string // instance id
	dir string // {Dir}/{id}

	openMu sync.Mutex // serializes opening and closing

	idxMu   sync.RWMutex // guards the fields below: searches read, open, close and swap write
	idx     bleve.Index  // nil while closed
	gen     int
	text    analysis.Analyzer
	keyword analysis.Analyzer

	writeMu sync.Mutex // one writer at a time: the worker's rounds, a reindex's swap

	mu       sync.Mutex
	refs     int             // holders (searches, the worker, a reindex); guarded by mu
	lastUsed time.Time       // guarded by mu
	dirty    map[string]bool // doctypes with changes to index; guarded by mu
	all      bool            // every doctype must be caught up; guarded by mu
	running  bool            // a worker runs; guarded by mu
	caught   chan struct{}   // closed once caught up after opening; guarded by mu

	reindexing atomic.Bool
	dropped    atomic.Bool // the instance was removed: never open again
	fields     fieldsCache
}

func newShard(ix *Indexer, id string) *shard {
	return &shard{ix: ix, id: id, dir: filepath.Join(ix.cfg.Dir, id), dirty: map[string]bool{},
		caught: make(chan struct{}), lastUsed: time.Now()}
}

// isOpen reports whether the index is open (callers may hold mu).
func (s *shard) isOpen() bool {
	s.idxMu.RLock()
	defer s.idxMu.RUnlock()
	return s.idx != nil
}

// ensureOpen opens the index, or creates it, and then asks the worker to catch up with every
// doctype (writes may have happened while it was closed, or before a crash).
func (s *shard) ensureOpen(ctx context.Context) error {
	s.openMu.Lock()
	defer s.openMu.Unlock()
	if s.isOpen() {
		return nil
	}
	if s.dropped.Load() {
		return errDropped
	}
	gen, err := s.currentGen()
	if err != nil {
		return err
	}
	var idx bleve.Index
	if gen == 0 {
		locale := ""
		if s.ix.cfg.Locale != nil {
			if locale, err = s.ix.cfg.Locale(ctx, s.id); err != nil {
				return fmt.Errorf("search: locale of %s: %w", s.id, err)
			}
		}
		gen = 1
		if idx, err = s.create(gen, locale); err == nil {
			err = s.setCurrent(gen)
		}
	} else {
		idx, err = bleve.OpenUsing(s.genDir(gen), scorchConfig())
	}
	if err != nil {
		if idx != nil {
			_ = idx.Close()
		}
		return fmt.Errorf("search: open the index of %s: %w", s.id, err)
	}
	s.removeOtherGens(gen)
	s.install(idx, gen)
	s.ix.open.Add(1)
	if s.ix.open.Load() > int64(s.ix.cfg.MaxOpen) {
		select {
		case s.ix.poke <- struct{}{}:
		default:
		}
	}
	s.mu.Lock()
	s.caught = make(chan struct{})
	s.mu.Unlock()
	s.mark("")
	return nil
}

// install makes idx the index searches and the worker use.
func (s *shard) install(idx bleve.Index, gen int) {
	text, kw := analyzersOf(idx)
	s.idxMu.Lock()
	s.idx, s.gen, s.text, s.keyword = idx, gen, text, kw
	s.idxMu.Unlock()
}

func analyzersOf(idx bleve.Index) (text, kw analysis.Analyzer) {
	m := idx.Mapping()
	return m.AnalyzerNamed(m.AnalyzerNameForPath(fieldAll)), m.AnalyzerNamed(keyword.Name)
}

// create makes a new, empty index of generation gen.
func (s *shard) create(gen int, locale string) (bleve.Index, error) {
	dir := s.genDir(gen)
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, err
	}
	return bleve.NewUsing(dir, newMapping(AnalyzerFor(locale)), scorch.Name, scorch.Name, scorchConfig())
}

// scorchConfig lets a batch return once it is searchable, before it is on disk: each
// checkpoint is in the batch of the documents it covers, so after a crash the index and its
// checkpoints go back together to the last batch persisted, and the feed is read again from
// there (documents are keyed by id: indexing one again replaces it).
func scorchConfig() map[string]any { return map[string]any{"unsafe_batch": true} }

func (s *shard) genDir(gen int) string { return filepath.Join(s.dir, "g"+strconv.Itoa(gen)) }

// currentGen reads the generation in use; 0 when the instance has no index yet.
func (s *shard) currentGen() (int, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, currentFile))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("search: %w", err)
	}
	gen, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || gen <= 0 {
		return 0, fmt.Errorf("search: %s holds no generation", filepath.Join(s.dir, currentFile))
	}
	return gen, nil
}

// setCurrent records gen as the generation in use, atomically and durably.
func (s *shard) setCurrent(gen int) error {
	tmp := filepath.Join(s.dir, currentFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(strconv.Itoa(gen) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(s.dir, currentFile))
	}
	if err == nil {
		err = syncDir(s.dir)
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// removeOtherGens removes what an interrupted reindex left beside the generation in use.
func (s *shard) removeOtherGens(keep int) {
	entries, _ := os.ReadDir(s.dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "g") && e.IsDir() && e.Name() != "g"+strconv.Itoa(keep) {
			_ = os.RemoveAll(filepath.Join(s.dir, e.Name()))
		}
	}
}

// withIndex runs f on the open index, opening it first; the index stays open while f runs.
func (s *shard) withIndex(ctx context.Context, f func(idx bleve.Index) error) error {
	for {
		if err := s.ensureOpen(ctx); err != nil {
			return err
		}
		s.idxMu.RLock()
		if s.idx != nil {
			defer s.idxMu.RUnlock()
			return f(s.idx)
		}
		s.idxMu.RUnlock() // closed meanwhile by the janitor: open again
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// current returns the open index and its analyzers; callers hold writeMu (no swap) and a
// reference (no close).
func (s *shard) current() (bleve.Index, analysis.Analyzer, analysis.Analyzer) {
	s.idxMu.RLock()
	defer s.idxMu.RUnlock()
	return s.idx, s.text, s.keyword
}

// closeIfIdle closes the index unless someone holds the shard; it reports whether it did.
func (s *shard) closeIfIdle() bool {
	s.openMu.Lock()
	defer s.openMu.Unlock()
	s.mu.Lock()
	busy := s.refs > 0 || s.running
	s.mu.Unlock()
	if busy {
		return false
	}
	return s.closeLocked() == nil
}

// close closes the index, if open.
func (s *shard) close() error {
	s.openMu.Lock()
	defer s.openMu.Unlock()
	if err := s.closeLocked(); !errors.Is(err, errNotOpen) {
		return err
	}
	return nil
}

var (
	errNotOpen = errors.New("search: index not open")
	errDropped = errors.New("search: the instance was removed")
)

// closeLocked closes the index; callers hold openMu.
func (s *shard) closeLocked() error {
	s.idxMu.Lock()
	idx := s.idx
	s.idx = nil
	s.idxMu.Unlock()
	if idx == nil {
		return errNotOpen
	}
	s.ix.open.Add(-1)
	err := flush(idx)
	return errors.Join(err, idx.Close())
}

// flushTimeout bounds how long closing an index waits for its batches to reach the disk.
const flushTimeout = 30 * time.Second

// flush waits until every batch committed so far is on disk, so that the next start resumes
// from the last checkpoint rather than an older one.
func flush(idx bleve.Index) error {
	done := make(chan error, 1)
	b := idx.NewBatch()
	b.SetInternal([]byte("flushed"), []byte(time.Now().UTC().Format(time.RFC3339Nano)))
	b.SetPersistedCallback(func(err error) {
		select {
		case done <- err:
		default:
		}
	})
	if err := idx.Batch(b); err != nil {
		return fmt.Errorf("search: flush: %w", err)
	}
	t := time.NewTimer(flushTimeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return errors.New("search: flush: the index did not reach the disk in time")
	}
}

// waitCaughtUp waits, at most max, for the first catch-up after opening.
func (s *shard) waitCaughtUp(ctx context.Context, max time.Duration) {
	s.mu.Lock()
	c := s.caught
	s.mu.Unlock()
	t := time.NewTimer(max)
	defer t.Stop()
	select {
	case <-c:
	case <-t.C:
	case <-ctx.Done():
	}
}
