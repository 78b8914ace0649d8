package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"github.com/go-kivik/kivik/v4/driver"
)

// allDocsPage is how many rows one query of an _all_docs range reads.
const allDocsPage = 500

// rangeRows streams an _all_docs range page by page, holding no database handle between
// pages, so that a slow reader neither keeps a database open nor holds every row in memory.
type rangeRows struct {
	sliceRows
	ctx      context.Context
	d        *db
	q        *rangeQuery
	after    string // last id read
	hasAfter bool
	left     int64 // rows still to return; negative: no limit
	done     bool
}

func newRangeRows(ctx context.Context, d *db, q *rangeQuery, meta *sliceRows) *rangeRows {
	return &rangeRows{sliceRows: *meta, ctx: ctx, d: d, q: q, left: q.limit}
}

func (r *rangeRows) Next(row *driver.Row) error {
	for r.next >= len(r.rows) {
		if r.done {
			return io.EOF
		}
		if err := r.fetch(); err != nil {
			return err
		}
	}
	return r.sliceRows.Next(row)
}

func (r *rangeRows) Close() error {
	r.done = true
	return r.sliceRows.Close()
}

func (r *rangeRows) fetch() error {
	n := int64(allDocsPage)
	if r.left >= 0 && r.left < n {
		n = r.left
	}
	r.rows, r.next = nil, 0
	if n == 0 {
		r.done = true
		return nil
	}
	err := r.d.use(func(h *handle) error { return h.rangePage(r.ctx, r, n) })
	if err != nil {
		return err
	}
	if int64(len(r.rows)) < n {
		r.done = true
	}
	if r.left >= 0 {
		r.left -= int64(len(r.rows))
	}
	return nil
}

// rangePage reads the next n rows of r.
func (h *handle) rangePage(ctx context.Context, r *rangeRows, n int64) error {
	q := r.q
	cond, args := q.where()
	order, skip := "ASC", q.skip
	if q.descending {
		order = "DESC"
	}
	if r.hasAfter {
		cond += map[bool]string{false: " AND id > ?", true: " AND id < ?"}[q.descending]
		args, skip = append(args, r.after), 0
	}
	// The page is listed and its documents read in one snapshot: a document deleted meanwhile
	// is either listed with its body or not listed at all.
	tx, err := h.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("embedded: all docs: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // read-only: nothing to keep
	rows, err := tx.QueryContext(ctx, `SELECT id, rev FROM docs WHERE `+cond+` ORDER BY id `+order+
		` LIMIT ? OFFSET ?`, append(args, n, skip)...)
	if err != nil {
		return fmt.Errorf("embedded: all docs: %w", err)
	}
	var ids, revs []string
	for rows.Next() {
		var id, rev string
		if err := rows.Scan(&id, &rev); err != nil {
			_ = rows.Close()
			return fmt.Errorf("embedded: all docs: %w", err)
		}
		ids, revs = append(ids, id), append(revs, rev)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("embedded: all docs: %w", err)
	}
	rs := h.rs.inTx(tx)
	for i, id := range ids {
		row, err := h.docRow(ctx, rs, id, revs[i], false, q)
		if err != nil {
			return err
		}
		r.rows = append(r.rows, row)
		r.after, r.hasAfter = id, true
	}
	return nil
}

// rangeOffset computes the offset of the first row of a range: the live documents before
// its start, plus skip.
func (h *handle) rangeOffset(ctx context.Context, q *rangeQuery, out *sliceRows) error {
	if q.hasStart {
		op := map[bool]string{false: "<", true: ">"}[q.descending]
		err := h.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM docs WHERE deleted = 0 AND id `+op+` ?`,
			q.start).Scan(&out.offset)
		if err != nil {
			return fmt.Errorf("embedded: all docs: %w", err)
		}
	}
	out.offset += q.skip
	return nil
}
