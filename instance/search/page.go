package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2"
	kivik "github.com/go-kivik/kivik/v4"
)

// page is one page of a doctype's feed, ready to commit: its documents split into batches
// that are built at once (one per core, see parts), each document in one of them.
type page struct {
	bs   []*bleve.Batch
	n    int    // changes read
	last string // sequence of the last one
	more bool   // cut short by maxPageText: the feed goes on
	err  error
}

// Bounds of a page: under minSplit changes it is one batch, committed with its checkpoint;
// past maxPageText bytes of text it ends early, so that a page of large documents holds no
// more memory than BatchSize ordinary ones.
const (
	minSplit    = 64
	maxPageText = 64 << 20
)

// parts is how many batches a page is split into: building a batch's segment takes one core,
// and the batches of a page are built at the same time.
func parts() int { return min(max(runtime.GOMAXPROCS(0), 1), 4) }

// batchSeed spreads documents over a page's batches.
var batchSeed = maphash.MakeSeed()

// readPage reads one page of the feed after since into batches. A document's changes all go to
// the batch its id hashes to, where the last one replaces the others, as in a single batch: the
// order in which the batches are applied does not matter.
func (s *shard) readPage(ctx context.Context, t target, db *kivik.DB, doctype string, paths []string, since string) page {
	params := map[string]any{"include_docs": true, "limit": s.ix.cfg.BatchSize}
	if since != "" {
		params["since"] = since
	}
	ch := db.Changes(ctx, kivik.Params(params))
	defer ch.Close()
	p := page{bs: make([]*bleve.Batch, parts()), last: since}
	for i := range p.bs {
		p.bs[i] = t.idx.NewBatch()
	}
	text := 0
	for !p.more && ch.Next() {
		p.n++
		p.last = ch.Seq()
		id := ch.ID()
		if strings.HasPrefix(id, "_design/") || strings.HasPrefix(id, "_local/") {
			continue
		}
		key := docKey(doctype, id)
		b := p.bs[maphash.String(batchSeed, key)%uint64(len(p.bs))]
		var doc map[string]any
		if ch.Deleted() || ch.ScanDoc(&doc) != nil {
			b.Delete(key)
			continue
		}
		values := textValues(doc, paths)
		if len(values) == 0 {
			b.Delete(key) // an update may have removed the text the index held
			continue
		}
		if err := b.IndexAdvanced(newDocument(key, doctype, values, t.text, t.keyword)); err != nil {
			return page{err: err}
		}
		for _, v := range values {
			text += len(v.text)
		}
		p.more = text >= maxPageText
	}
	if err := ch.Err(); err != nil {
		return page{err: fmt.Errorf("search: changes of %s: %w", doctype, err)}
	}
	return p
}

// commitPage commits a page's batches at once, then the doctype's checkpoint in a batch of its
// own: the index reaches the disk in the order batches were applied, so a checkpoint on disk
// always has every document it covers with it. A small page is one batch, checkpoint included.
func (s *shard) commitPage(t target, doctype string, p page) error {
	if p.n < minSplit {
		for _, b := range p.bs[1:] {
			p.bs[0].Merge(b)
		}
		p.bs = p.bs[:1]
	}
	cp := p.bs[0]
	if len(p.bs) > 1 {
		if err := commitAtOnce(t.idx, p.bs); err != nil {
			return err
		}
		cp = t.idx.NewBatch()
	}
	cp.SetInternal([]byte(seqKeyPrefix+doctype), []byte(p.last))
	if list := checkpointed(t.idx); !slices.Contains(list, doctype) {
		raw, _ := json.Marshal(append(list, doctype))
		cp.SetInternal([]byte(doctypesKey), raw)
	}
	if err := t.idx.Batch(cp); err != nil {
		return fmt.Errorf("search: commit a batch: %w", err)
	}
	s.ix.indexed.Add(uint64(p.n))
	return nil
}

// commitAtOnce commits batches concurrently, each building its segment on a core of its own.
func commitAtOnce(idx bleve.Index, bs []*bleve.Batch) error {
	errs := make([]error, len(bs))
	var wg sync.WaitGroup
	for i, b := range bs {
		if b.Size() > 0 {
			wg.Go(func() { errs[i] = idx.Batch(b) })
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("search: commit a batch: %w", err)
	}
	return nil
}
