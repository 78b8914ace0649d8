package embedded

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-kivik/kivik/v4/driver"
	"github.com/hearth-cloud/hearth/instance/store/mangoindex"
)

// changesPage is how many rows one query of the changes feed reads.
const changesPage = 500

// changesFeed iterates over the changes of a database; longpoll and continuous feeds wait
// for commits through the database's broadcast channel.
type changesFeed struct {
	ctx         context.Context
	d           *db
	feed        string // normal, longpoll or continuous
	since       int64  // last sequence read (returned or filtered out)
	limit, sent int64  // limit < 0: no limit
	descending  bool
	includeDocs bool
	allLeaves   bool
	o           getOpts
	docIDs      map[string]bool // nil: no filter
	designOnly  bool
	selector    *mangoindex.Query // filter=_selector; nil: none
	timeout     time.Duration     // 0: wait until the context ends

	scanned   int64 // last sequence read, returned or filtered out
	buf       []driver.Change
	bufSeq    []int64 // sequences of buf
	caughtUp  bool    // the last query found nothing more
	finished  bool
	pending   int64
	closeOnce sync.Once
	closed    chan struct{}
}

var _ driver.Changes = (*changesFeed)(nil)

func (d *db) Changes(ctx context.Context, options driver.Options) (driver.Changes, error) {
	f, err := newChangesFeed(ctx, d, getParams(options))
	if err != nil {
		return nil, err
	}
	// Fail now, not at the first Next, when the database does not exist.
	if err := d.use(func(h *handle) error {
		if f.since < 0 {
			f.since, _ = h.changed()
		}
		f.scanned = f.since
		return nil
	}); err != nil {
		return nil, err
	}
	return f, nil
}

func newChangesFeed(ctx context.Context, d *db, p params) (*changesFeed, error) {
	f := &changesFeed{ctx: ctx, d: d, feed: p.str("feed"), descending: p.bool("descending"),
		includeDocs: p.bool("include_docs"), allLeaves: p.str("style") == "all_docs",
		o: getOpts{conflicts: p.bool("conflicts"), attachments: p.bool("attachments")}, closed: make(chan struct{})}
	switch f.feed {
	case "", "normal":
		f.feed = "normal"
	case "longpoll", "continuous":
	default:
		return nil, errBadRequest("Supported feeds are normal, longpoll and continuous")
	}
	var err error
	if f.since, err = parseSince(p.str("since")); err != nil {
		return nil, err
	}
	if f.limit, err = p.int("limit", -1); err != nil {
		return nil, err
	}
	ms, err := p.int("timeout", 0)
	if err != nil {
		return nil, err
	}
	f.timeout = time.Duration(ms) * time.Millisecond
	return f, f.setFilter(p)
}

// parseSince reads since: an integer, "now" (returned as -1), or CouchDB's "N-opaque".
func parseSince(s string) (int64, error) {
	switch s {
	case "", "0":
		return 0, nil
	case "now":
		return -1, nil
	}
	if i := strings.IndexByte(s, '-'); i > 0 {
		s = s[:i]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errBadRequest("Malformed since value: " + s)
	}
	return n, nil
}

func (f *changesFeed) setFilter(p params) error {
	switch p.str("filter") {
	case "":
		return nil
	case "_doc_ids":
		ids, _, err := p.strings("doc_ids")
		if err != nil {
			return err
		}
		f.docIDs = make(map[string]bool, len(ids))
		for _, id := range ids {
			f.docIDs[id] = true
		}
		return nil
	case "_design":
		f.designOnly = true
		return nil
	case "_selector":
		return f.setSelector(p["selector"])
	}
	return errBadRequest("Only the _doc_ids, _selector and _design filters are supported")
}

func (f *changesFeed) Next(change *driver.Change) error {
	for {
		if f.limit >= 0 && f.sent >= f.limit {
			return f.finish()
		}
		if len(f.buf) > 0 {
			*change = f.buf[0]
			f.since = f.bufSeq[0]
			f.buf, f.bufSeq = f.buf[1:], f.bufSeq[1:]
			f.sent++
			return nil
		}
		if f.finished {
			return f.finish()
		}
		if !f.descending {
			f.since = max(f.since, f.scanned)
		}
		if !f.caughtUp {
			if err := f.fetch(); err != nil {
				return err
			}
			continue
		}
		if f.feed == "normal" || f.descending || f.feed == "longpoll" && f.sent > 0 {
			return f.finish()
		}
		if err := f.wait(); err != nil {
			return err
		}
	}
}

// finish ends the feed, computing Pending once.
func (f *changesFeed) finish() error {
	if !f.finished {
		f.finished = true
		_ = f.d.use(func(h *handle) error { // Pending stays 0 if the database went away
			q := `SELECT COUNT(*) FROM docs WHERE seq > ?`
			if f.descending {
				q = `SELECT COUNT(*) FROM docs WHERE seq < ?`
			}
			return h.rdb.QueryRowContext(f.ctx, q, f.since).Scan(&f.pending)
		})
	}
	return io.EOF
}

// wait blocks until a commit after f.since, the timeout, Close or the end of the context. The
// database stays open meanwhile, unless it is destroyed or the client closed.
func (f *changesFeed) wait() error {
	var wake, dead <-chan struct{}
	var unwatch func()
	err := f.d.use(func(h *handle) error {
		seq, w := h.changed()
		if seq > f.scanned {
			return f.catchUp(f.ctx, h)
		}
		wake, dead, unwatch = w, h.dead, f.d.c.watch(h)
		return nil
	})
	if err != nil || wake == nil {
		return err
	}
	defer unwatch()
	var timeout <-chan time.Time
	if f.timeout > 0 {
		t := time.NewTimer(f.timeout)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-wake: // the next round catches up
	case <-dead: // closed when idle or destroyed: the next round re-opens or ends
	case <-timeout:
		f.finished = true
	case <-f.closed:
		f.finished = true
	case <-f.ctx.Done():
		return f.ctx.Err()
	}
	return nil
}

func (f *changesFeed) Close() error {
	f.closeOnce.Do(func() { close(f.closed) })
	return nil
}

func (f *changesFeed) LastSeq() string { return strconv.FormatInt(f.since, 10) }
func (f *changesFeed) Pending() int64  { return f.pending }
func (f *changesFeed) ETag() string    { return "" }

// fetch reads the next page of changes into f.buf.
func (f *changesFeed) fetch() error {
	return f.d.use(func(h *handle) error {
		q := `SELECT id, seq, deleted, rev, tree FROM docs WHERE seq > ? ORDER BY seq LIMIT ?`
		if f.descending {
			q = `SELECT id, seq, deleted, rev, tree FROM docs WHERE seq > ? ORDER BY seq DESC LIMIT ?`
		}
		rows, err := h.rdb.QueryContext(f.ctx, q, map[bool]int64{true: 0, false: f.scanned}[f.descending], changesPage)
		if err != nil {
			return fmt.Errorf("embedded: changes: %w", err)
		}
		var docs []docRow
		var ids []string
		for rows.Next() {
			var r docRow
			var id string
			var tree []byte
			if err := rows.Scan(&id, &r.Seq, &r.Deleted, &r.Rev, &tree); err != nil {
				_ = rows.Close()
				return fmt.Errorf("embedded: changes: %w", err)
			}
			if r.Tree, err = decodeTree(tree); err != nil {
				_ = rows.Close()
				return err
			}
			docs, ids = append(docs, r), append(ids, id)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("embedded: changes: %w", err)
		}
		f.caughtUp = len(docs) < changesPage || f.descending
		return f.buffer(f.ctx, h, ids, docs)
	})
}

func (f *changesFeed) buffer(ctx context.Context, h *handle, ids []string, docs []docRow) error {
	for i := range docs {
		doc, id := &docs[i], ids[i]
		if !f.descending {
			f.scanned = doc.Seq
		}
		if f.docIDs != nil && !f.docIDs[id] || f.designOnly && !strings.HasPrefix(id, "_design/") {
			continue
		}
		if ok, err := f.selected(ctx, h, id, doc); err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		c := driver.Change{ID: id, Seq: strconv.FormatInt(doc.Seq, 10), Deleted: doc.Deleted, Changes: []string{doc.Rev}}
		if f.allLeaves {
			c.Changes = c.Changes[:0]
			for _, l := range doc.Tree.leaves() {
				c.Changes = append(c.Changes, l.Rev)
			}
		}
		if f.includeDocs {
			_, body, err := renderRev(ctx, h.rs, doc, id, doc.Rev, f.o)
			if isNotFound(err) {
				continue // replaced since it was listed: its newer change comes later
			}
			if err != nil {
				return err
			}
			c.Doc = body
		}
		f.buf, f.bufSeq = append(f.buf, c), append(f.bufSeq, doc.Seq)
	}
	return nil
}
