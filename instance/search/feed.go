package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	kivik "github.com/go-kivik/kivik/v4"

	"github.com/hearth-cloud/hearth/instance/auth"
	"github.com/hearth-cloud/hearth/instance/store"
)

// Internal keys of an index, committed in the same batches as the documents.
const (
	seqKeyPrefix = "seq/"     // + doctype: the last change of that doctype applied
	doctypesKey  = "doctypes" // JSON list of the doctypes with a checkpoint
)

// mark asks the worker to index the changes of doctype ("": of every doctype), starting it if
// it is not running.
func (s *shard) mark(doctype string) {
	s.mu.Lock()
	if doctype == "" {
		s.all = true
	} else {
		s.dirty[doctype] = true
	}
	start := !s.running
	if start {
		s.running = true
		s.refs++
		s.ix.workers.Add(1)
	}
	s.mu.Unlock()
	if start {
		go s.work()
	}
}

// work indexes what is marked until nothing is: changes that arrive during a round wait for
// the next one, so that under load each round takes many changes in few batches.
func (s *shard) work() {
	defer s.ix.workers.Done()
	ctx := s.ix.ctx
	backoff := 100 * time.Millisecond
	for {
		s.mu.Lock()
		all, dirty := s.all, s.dirty
		if (!all && len(dirty) == 0) || ctx.Err() != nil {
			s.running = false
			s.refs--
			s.lastUsed = time.Now()
			s.mu.Unlock()
			return
		}
		s.all, s.dirty = false, map[string]bool{}
		s.mu.Unlock()
		err := s.round(ctx, all, dirty)
		if err == nil {
			backoff = 100 * time.Millisecond
			continue
		}
		if ctx.Err() != nil || errors.Is(err, errDropped) {
			s.mu.Lock()
			s.all, s.dirty = false, map[string]bool{}
			s.mu.Unlock()
			continue
		}
		s.ix.cfg.Log.Warn("search: indexing failed, will retry", "instance", s.id, "err", err)
		s.mu.Lock()
		s.all = s.all || all
		for d := range dirty {
			s.dirty[d] = true
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

// round catches up with the marked doctypes (all: every doctype of the instance and of the
// index, checking that no database was recreated behind the checkpoints).
func (s *shard) round(ctx context.Context, all bool, dirty map[string]bool) error {
	if !s.isOpen() {
		if err := s.ensureOpen(ctx); err != nil {
			return err
		}
		all = true // ensureOpen marked it; do it now
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	idx, text, kw := s.current()
	if idx == nil {
		return errNotOpen
	}
	fields, err := s.fields.get(ctx, s.ix.cfg.Fields, s.id)
	if err != nil {
		return err
	}
	doctypes := make([]string, 0, len(dirty))
	for d := range dirty {
		doctypes = append(doctypes, d)
	}
	if all {
		if doctypes, err = s.allDoctypes(ctx, idx); err != nil {
			return err
		}
	}
	t := target{idx: idx, text: text, keyword: kw}
	for _, d := range doctypes {
		if slices.Contains(s.ix.cfg.Exclude, d) {
			continue
		}
		if err := s.catchUp(ctx, t, d, fields[d], all); err != nil {
			return err
		}
	}
	if all {
		s.mu.Lock()
		select {
		case <-s.caught:
		default:
			close(s.caught)
		}
		s.mu.Unlock()
	}
	return nil
}

// target is an index being written and the analyzers of its documents.
type target struct {
	idx           bleve.Index
	text, keyword analysis.Analyzer
}

// allDoctypes lists the doctypes of the instance's databases and those the index has a
// checkpoint for (their database may have been destroyed).
func (s *shard) allDoctypes(ctx context.Context, idx bleve.Index) ([]string, error) {
	list, err := s.ix.doctypes(ctx, s.id)
	if err != nil {
		return nil, err
	}
	for _, d := range checkpointed(idx) {
		if !slices.Contains(list, d) {
			list = append(list, d)
		}
	}
	return list, nil
}

// doctypes lists the doctypes of an instance's databases.
func (ix *Indexer) doctypes(ctx context.Context, instanceID string) ([]string, error) {
	names, err := ix.cfg.DBs.Client.AllDBs(ctx)
	if err != nil {
		return nil, fmt.Errorf("search: list databases: %w", err)
	}
	prefix := store.InstancePrefix(instanceID)
	var out []string
	for _, n := range names {
		rest, ok := strings.CutPrefix(n, prefix)
		if !ok || rest == "" || rest[0] == '_' {
			continue // another instance's, or a private database (owner, settings)
		}
		if d := strings.ReplaceAll(rest, "_", "."); auth.ValidDoctype(d) && store.DBName(instanceID, d) == n {
			out = append(out, d)
		}
	}
	return out, nil
}

func checkpointed(idx bleve.Index) []string {
	raw, err := idx.GetInternal([]byte(doctypesKey))
	var list []string
	if err == nil && len(raw) > 0 {
		_ = json.Unmarshal(raw, &list)
	}
	return list
}

// catchUp applies the changes of doctype since its checkpoint, one batch per page of the feed,
// each batch committing its documents and the checkpoint together. check compares the
// checkpoint with the database first: a database destroyed and created again starts its
// sequences over, and the doctype is then indexed from scratch.
func (s *shard) catchUp(ctx context.Context, t target, doctype string, paths []string, check bool) error {
	seqKey := []byte(seqKeyPrefix + doctype)
	raw, err := t.idx.GetInternal(seqKey)
	if err != nil {
		return fmt.Errorf("search: read checkpoint: %w", err)
	}
	since := string(raw)
	db, ok, err := s.ix.cfg.DBs.Open(ctx, store.DBName(s.id, doctype), false)
	if err != nil {
		return err
	}
	if !ok {
		if since != "" {
			return dropDoctype(ctx, t.idx, doctype)
		}
		return nil
	}
	if check && since != "" {
		st, err := db.Stats(ctx)
		if err != nil && kivik.HTTPStatus(err) != http.StatusNotFound {
			return fmt.Errorf("search: database of %s: %w", doctype, err)
		}
		if err == nil && seqNumber(st.UpdateSeq) < seqNumber(since) {
			if err := dropDoctype(ctx, t.idx, doctype); err != nil {
				return err
			}
			since = ""
		}
	}
	return s.follow(ctx, t, db, doctype, paths, since)
}

// follow applies the feed after since, page by page: the next page is read and analyzed while
// the previous one is committed.
func (s *shard) follow(ctx context.Context, t target, db *kivik.DB, doctype string, paths []string, since string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan page, 1)
	go func() {
		defer close(pages)
		for {
			p := s.readPage(ctx, t, db, doctype, paths, since)
			select {
			case pages <- p:
			case <-ctx.Done():
				return
			}
			if p.err != nil || (p.n < s.ix.cfg.BatchSize && !p.more) {
				return
			}
			since = p.last
		}
	}()
	for p := range pages {
		if p.err != nil || p.n == 0 {
			return p.err
		}
		if err := s.commitPage(t, doctype, p); err != nil {
			return err
		}
	}
	return nil
}

// seqNumber is the number a sequence starts with (CouchDB's are "N-opaque"); -1 if none.
func seqNumber(seq string) int64 {
	head, _, _ := strings.Cut(seq, "-")
	n, err := strconv.ParseInt(head, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// dropDoctype removes a doctype's documents and checkpoint from the index.
func dropDoctype(ctx context.Context, idx bleve.Index, doctype string) error {
	q := bleve.NewTermQuery(doctype)
	q.SetField(fieldDoctype)
	for {
		req := bleve.NewSearchRequestOptions(q, 1000, 0, false)
		res, err := idx.SearchInContext(ctx, req)
		if err != nil {
			return fmt.Errorf("search: find the documents of %s: %w", doctype, err)
		}
		b := idx.NewBatch()
		for _, h := range res.Hits {
			b.Delete(h.ID)
		}
		last := len(res.Hits) < 1000
		if last {
			b.DeleteInternal([]byte(seqKeyPrefix + doctype))
			list := slices.DeleteFunc(checkpointed(idx), func(d string) bool { return d == doctype })
			raw, _ := json.Marshal(list)
			b.SetInternal([]byte(doctypesKey), raw)
		}
		if err := idx.Batch(b); err != nil {
			return fmt.Errorf("search: drop %s: %w", doctype, err)
		}
		if last {
			return nil
		}
	}
}

// fieldsCache keeps an instance's searchable fields for a few seconds.
type fieldsCache struct {
	mu     sync.Mutex
	fields map[string][]string // guarded by mu
	until  time.Time           // guarded by mu
}

func (c *fieldsCache) get(ctx context.Context, f FieldsFunc, instanceID string) (map[string][]string, error) {
	if f == nil {
		return nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Now().Before(c.until) {
		return c.fields, nil
	}
	m, err := f(ctx, instanceID)
	if err != nil {
		return nil, fmt.Errorf("search: searchable fields: %w", err)
	}
	c.fields, c.until = m, time.Now().Add(fieldsTTL)
	return m, nil
}
