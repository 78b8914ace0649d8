package search

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"
)

// ReindexResult is what a reindex did.
type ReindexResult struct {
	Documents  uint64        `json:"documents"` // documents in the new index
	Doctypes   []string      `json:"doctypes"`
	Analyzer   string        `json:"analyzer"`
	Generation int           `json:"generation"`
	Took       time.Duration `json:"took_ns"`
}

// Reindex rebuilds an instance's index from scratch beside the one in use, which keeps
// answering searches (and following writes) meanwhile, then swaps them. The new index takes the
// instance's locale and the apps' searchable fields as they are now.
func (ix *Indexer) Reindex(ctx context.Context, instanceID string) (*ReindexResult, error) {
	start := time.Now()
	s := ix.acquire(instanceID)
	if s == nil {
		return nil, ErrClosed
	}
	defer ix.release(s)
	if !s.reindexing.CompareAndSwap(false, true) {
		return nil, ErrReindexing
	}
	defer s.reindexing.Store(false)
	if err := s.ensureOpen(ctx); err != nil {
		return nil, err
	}
	locale := ""
	if ix.cfg.Locale != nil {
		var err error
		if locale, err = ix.cfg.Locale(ctx, instanceID); err != nil {
			return nil, fmt.Errorf("search: locale of %s: %w", instanceID, err)
		}
	}
	s.idxMu.RLock()
	gen := s.gen + 1
	s.idxMu.RUnlock()
	idx, err := s.create(gen, locale)
	if err != nil {
		return nil, fmt.Errorf("search: create the new index: %w", err)
	}
	text, kw := analyzersOf(idx)
	t := target{idx: idx, text: text, keyword: kw}
	abandon := func(err error) (*ReindexResult, error) {
		_ = idx.Close()
		_ = os.RemoveAll(s.genDir(gen))
		return nil, err
	}
	s.fields.expire()
	// The bulk of the work, while the old index serves and follows writes.
	if _, err := s.fill(ctx, t, false); err != nil {
		return abandon(err)
	}
	// What was written meanwhile, with the writers paused, then the swap.
	s.writeMu.Lock()
	doctypes, err := s.fill(ctx, t, true)
	if err == nil {
		err = flush(idx)
	}
	if err == nil {
		err = s.setCurrent(gen)
	}
	if err != nil {
		s.writeMu.Unlock()
		return abandon(err)
	}
	s.idxMu.Lock()
	old, oldGen := s.idx, s.gen
	s.idx, s.gen, s.text, s.keyword = idx, gen, text, kw
	s.idxMu.Unlock()
	s.writeMu.Unlock()
	if old != nil {
		if err := old.Close(); err != nil { // its writes are in the new index: no flush
			ix.cfg.Log.Warn("search: close the old index", "instance", instanceID, "err", err)
		}
		_ = os.RemoveAll(s.genDir(oldGen))
	}
	n, _ := idx.DocCount()
	return &ReindexResult{Documents: n, Doctypes: doctypes, Analyzer: AnalyzerFor(locale), Generation: gen, Took: time.Since(start)}, nil
}

// fill catches t up with every doctype of the instance.
func (s *shard) fill(ctx context.Context, t target, final bool) ([]string, error) {
	fields, err := s.fields.get(ctx, s.ix.cfg.Fields, s.id)
	if err != nil {
		return nil, err
	}
	doctypes, err := s.ix.doctypes(ctx, s.id)
	if err != nil {
		return nil, err
	}
	doctypes = slices.DeleteFunc(doctypes, func(d string) bool { return slices.Contains(s.ix.cfg.Exclude, d) })
	for _, d := range doctypes {
		if err := s.catchUp(ctx, t, d, fields[d], final); err != nil {
			return nil, err
		}
	}
	return doctypes, nil
}

// expire makes the next get read the fields again.
func (c *fieldsCache) expire() {
	c.mu.Lock()
	c.until = time.Time{}
	c.mu.Unlock()
}
