package embedded

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"github.com/go-kivik/kivik/v4/driver"
)

func (h *handle) renderer(ctx context.Context) renderer {
	return renderer{ctx: ctx, blobs: h.rs.selBlob}
}

// snapshot runs fn with the read statements bound to one read transaction, so that its
// several reads see one state of the database.
func (h *handle) snapshot(ctx context.Context, fn func(rs *stmts) error) error {
	tx, err := h.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("embedded: read %s: %w", h.name, err)
	}
	defer func() { _ = tx.Rollback() }() // read-only: nothing to keep
	return fn(h.rs.inTx(tx))
}

// pickRev resolves which revision of doc a read wants: the winner, or rev (with latest, the
// best leaf descending from rev).
func pickRev(doc *docRow, rev string, latest bool) (string, error) {
	if rev == "" {
		if doc.Deleted {
			return "", errNotFound("deleted")
		}
		return doc.Rev, nil
	}
	if _, ok := doc.Tree[rev]; !ok {
		return "", errNotFound("missing")
	}
	if latest && !doc.Tree.isLeaf(rev) {
		for _, l := range doc.Tree.leaves() {
			for _, h := range doc.Tree.history(l.Rev) {
				if h == rev {
					return l.Rev, nil
				}
			}
		}
	}
	return rev, nil
}

// readDoc renders revision rev (or the winner) of doc id.
func (h *handle) readDoc(ctx context.Context, id, rev string, p params) (string, []byte, error) {
	if isLocal(id) {
		return h.getLocal(ctx, id)
	}
	o := parseGetOpts(p)
	if rev == "" {
		return h.readWinner(ctx, id, o)
	}
	var body []byte
	err := h.snapshot(ctx, func(rs *stmts) error {
		doc, err := loadDoc(ctx, rs.selDoc, id)
		if err != nil {
			return err
		}
		if doc == nil {
			return errNotFound("missing")
		}
		if rev, err = pickRev(doc, rev, p.bool("latest")); err != nil {
			return err
		}
		rev, body, err = renderRev(ctx, rs, doc, id, rev, o)
		return err
	})
	return rev, body, err
}

// readWinner renders the winning revision of doc id, in one query.
func (h *handle) readWinner(ctx context.Context, id string, o getOpts) (string, []byte, error) {
	plain := !o.needsTree() && !o.attachments && !o.localSeq
	var gen uint64
	if plain {
		if rev, body, ok := h.cache.get(h, id); ok {
			return rev, body, nil
		}
		gen = h.cache.gen(h)
	}
	doc, row, err := loadWinner(ctx, h.rs.selWinner, id, o.needsTree())
	if err != nil {
		return "", nil, err
	}
	if doc == nil {
		return "", nil, errNotFound("missing")
	}
	if doc.Deleted {
		return "", nil, errNotFound("deleted")
	}
	body, err := h.renderer(ctx).render(id, doc.Rev, row, doc, o)
	if err == nil && plain {
		h.cache.put(h, id, doc.Rev, body, gen)
	}
	return doc.Rev, body, err
}

// renderRev renders revision rev of doc id, read through rs.
func renderRev(ctx context.Context, rs *stmts, doc *docRow, id, rev string, o getOpts) (string, []byte, error) {
	row, err := loadRev(ctx, rs.selRev, id, rev)
	if err != nil {
		return "", nil, err
	}
	if row == nil {
		return "", nil, errNotFound("missing")
	}
	body, err := renderer{ctx: ctx, blobs: rs.selBlob}.render(id, rev, row, doc, o)
	return rev, body, err
}

func (d *db) Get(ctx context.Context, docID string, options driver.Options) (*driver.Document, error) {
	p := getParams(options)
	var rev string
	var body []byte
	err := d.use(func(h *handle) error {
		var err error
		rev, body, err = h.readDoc(ctx, docID, p.str("rev"), p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &driver.Document{Rev: rev, Body: io.NopCloser(bytes.NewReader(body))}, nil
}

// GetRev returns the winning rev (or checks the rev asked for) without rendering the body.
func (d *db) GetRev(ctx context.Context, docID string, options driver.Options) (string, error) {
	p := getParams(options)
	var rev string
	err := d.use(func(h *handle) error {
		var err error
		if isLocal(docID) || p.str("rev") != "" {
			rev, _, err = h.readDoc(ctx, docID, p.str("rev"), p)
			return err
		}
		var deleted bool
		err = h.rs.selHead.QueryRowContext(ctx, docID).Scan(&deleted, &rev)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return errNotFound("missing")
		case err != nil:
			return fmt.Errorf("embedded: read %s: %w", docID, err)
		case deleted:
			return errNotFound("deleted")
		}
		return nil
	})
	return rev, err
}

// OpenRevs returns the requested leaf revisions ("all" for every leaf); a revision not found
// comes as a row whose Rev is the revision and whose Error is 404 "missing".
func (d *db) OpenRevs(ctx context.Context, docID string, revs []string, options driver.Options) (driver.Rows, error) {
	p := getParams(options)
	o := parseGetOpts(p)
	out := &sliceRows{}
	err := d.use(func(h *handle) error {
		return h.snapshot(ctx, func(rs *stmts) error { return openRevs(ctx, rs, docID, revs, p, o, out) })
	})
	return out, err
}

func openRevs(ctx context.Context, rs *stmts, docID string, revs []string, p params, o getOpts, out *sliceRows) error {
	doc, err := loadDoc(ctx, rs.selDoc, docID)
	if err != nil {
		return err
	}
	all := len(revs) == 1 && revs[0] == "all"
	if doc == nil && all {
		return errNotFound("missing")
	}
	if all {
		revs = revs[:0:0]
		for _, l := range doc.Tree.leaves() {
			revs = append(revs, l.Rev)
		}
	}
	for _, rev := range revs {
		out.rows = append(out.rows, openRev(ctx, rs, doc, docID, rev, p.bool("latest"), o))
	}
	return nil
}

func openRev(ctx context.Context, rs *stmts, doc *docRow, id, rev string, latest bool, o getOpts) driver.Row {
	missing := driver.Row{ID: id, Rev: rev, Error: errNotFound("missing")}
	if doc == nil {
		return missing
	}
	r, err := pickRev(doc, rev, latest)
	if err != nil {
		missing.Error = err
		return missing
	}
	r, body, err := renderRev(ctx, rs, doc, id, r, o)
	if err != nil {
		missing.Error = err
		return missing
	}
	return driver.Row{ID: id, Rev: r, Doc: bytes.NewReader(body)}
}

// BulkGet returns one row per reference: the document, or a row with ID, Rev and an Error
// (404 "missing", or "deleted" when no rev was asked and the document is deleted). All rows
// come from one snapshot of the database.
func (d *db) BulkGet(ctx context.Context, refs []driver.BulkGetReference, options driver.Options) (driver.Rows, error) {
	p := getParams(options)
	o := parseGetOpts(p)
	out := &sliceRows{}
	err := d.use(func(h *handle) error {
		return h.snapshot(ctx, func(rs *stmts) error { return bulkGet(ctx, rs, refs, p, o, out) })
	})
	return out, err
}

func bulkGet(ctx context.Context, rs *stmts, refs []driver.BulkGetReference, p params, o getOpts, out *sliceRows) error {
	for _, ref := range refs {
		doc, err := loadDoc(ctx, rs.selDoc, ref.ID)
		if err != nil {
			return err
		}
		ro := o
		if ref.AttsSince != "" {
			ro.attsSince = attsSince(params{"atts_since": ref.AttsSince})
			if len(ro.attsSince) == 0 {
				ro.attsSince = []string{ref.AttsSince}
			}
		}
		row := openRev(ctx, rs, doc, ref.ID, ref.Rev, p.bool("latest"), ro)
		if row.Error != nil {
			row.Doc = bytes.NewReader(nil)
		}
		out.rows = append(out.rows, row)
	}
	return nil
}
