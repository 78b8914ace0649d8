package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/go-kivik/kivik/v4/driver"
)

func jsonKey(s string) json.RawMessage {
	k, _ := json.Marshal(s)
	return k
}

// rangeQuery is an _all_docs query over a range of document ids.
type rangeQuery struct {
	start, end   string
	hasStart     bool
	hasEnd       bool
	inclusiveEnd bool
	descending   bool
	limit, skip  int64
	includeDocs  bool
	o            getOpts
}

func parseRange(p params) (*rangeQuery, error) {
	q := &rangeQuery{inclusiveEnd: !p.has("inclusive_end") || p.bool("inclusive_end"),
		descending: p.bool("descending"), includeDocs: p.bool("include_docs"), o: parseGetOpts(p)}
	q.start, q.hasStart = p.jsonString("startkey", "start_key", "startkey_docid", "start_key_doc_id")
	q.end, q.hasEnd = p.jsonString("endkey", "end_key", "endkey_docid", "end_key_doc_id")
	if k, ok := p.jsonString("key"); ok {
		q.start, q.end, q.hasStart, q.hasEnd, q.inclusiveEnd = k, k, true, true, true
	}
	var err error
	if q.limit, err = p.int("limit", -1); err != nil {
		return nil, err
	}
	if q.skip, err = p.int("skip", 0); err != nil {
		return nil, err
	}
	return q, nil
}

// where returns the SQL condition on id and its arguments.
func (q *rangeQuery) where() (string, []any) {
	lo, hi := ">=", "<="
	if !q.inclusiveEnd {
		hi = "<"
	}
	if q.descending {
		lo, hi = "<=", ">="
		if !q.inclusiveEnd {
			hi = ">"
		}
	}
	cond, args := "deleted = 0", []any{}
	if q.hasStart {
		cond += " AND id " + lo + " ?"
		args = append(args, q.start)
	}
	if q.hasEnd {
		cond += " AND id " + hi + " ?"
		args = append(args, q.end)
	}
	return cond, args
}

func (d *db) AllDocs(ctx context.Context, options driver.Options) (driver.Rows, error) {
	p := getParams(options)
	keys, hasKeys, err := p.strings("keys")
	if err != nil {
		return nil, err
	}
	q, err := parseRange(p)
	if err != nil {
		return nil, err
	}
	out := &sliceRows{}
	err = d.use(func(h *handle) error {
		if err := h.rdb.QueryRowContext(ctx, `SELECT live FROM counts`).Scan(&out.total); err != nil {
			return fmt.Errorf("embedded: all docs: %w", err)
		}
		if p.bool("update_seq") {
			seq, err := h.lastSeq(ctx)
			if err != nil {
				return err
			}
			out.updateSeq = strconv.FormatInt(seq, 10)
		}
		if hasKeys {
			return h.keyRows(ctx, keys, q, out)
		}
		return h.rangeOffset(ctx, q, out)
	})
	if err != nil || hasKeys {
		return out, err
	}
	return newRangeRows(ctx, d, q, out), nil
}

// DesignDocs lists the design documents, with the options of AllDocs.
func (d *db) DesignDocs(ctx context.Context, options driver.Options) (driver.Rows, error) {
	p := getParams(options)
	q, err := parseRange(p)
	if err != nil {
		return nil, err
	}
	lo, hi := "_design/", "_design0"
	if q.descending {
		lo, hi = hi, lo
	}
	if !q.hasStart || (q.start < lo) != q.descending {
		q.start, q.hasStart = lo, true
	}
	if !q.hasEnd || (q.end > hi) != q.descending {
		q.end, q.hasEnd, q.inclusiveEnd = hi, true, false
	}
	out := &sliceRows{}
	err = d.use(func(h *handle) error {
		if err := h.rdb.QueryRowContext(ctx, `SELECT live FROM counts`).Scan(&out.total); err != nil {
			return fmt.Errorf("embedded: design docs: %w", err)
		}
		return h.rangeOffset(ctx, q, out)
	})
	if err != nil {
		return nil, err
	}
	return newRangeRows(ctx, d, q, out), nil
}

// docRow makes the _all_docs row of a document listed at rev. With include_docs, the row
// shows the document as it is now, read in one query with its body.
// rs reads in the snapshot the row was listed in (nil: h's read pool).
func (h *handle) docRow(ctx context.Context, rs *stmts, id, rev string, deleted bool, q *rangeQuery) (driver.Row, error) {
	if rs == nil {
		rs = h.rs
	}
	row := driver.Row{ID: id, Key: jsonKey(id)}
	if q.includeDocs && !deleted {
		doc, r, err := loadWinner(ctx, rs.selWinner, id, q.o.needsTree())
		if err != nil {
			return row, err
		}
		if doc != nil {
			rev, deleted = doc.Rev, doc.Deleted
		}
		if doc != nil && !deleted {
			body, err := renderer{ctx: ctx, blobs: rs.selBlob}.render(id, rev, r, doc, q.o)
			if err != nil {
				return row, err
			}
			row.Doc = bytes.NewReader(body)
		}
	}
	value := `{"rev":"` + rev + `"}`
	if deleted {
		value = `{"rev":"` + rev + `","deleted":true}`
	}
	row.Value = strings.NewReader(value)
	if q.includeDocs && row.Doc == nil {
		row.Doc = strings.NewReader("null")
	}
	return row, nil
}

// keyRows answers an _all_docs query by keys: deleted documents are listed as deleted and
// missing ones as rows with only Key and a 404 "not_found" Error.
func (h *handle) keyRows(ctx context.Context, keys []string, q *rangeQuery, out *sliceRows) error {
	if q.descending {
		keys = slices.Clone(keys)
		slices.Reverse(keys)
	}
	for i, k := range keys {
		if int64(i) < q.skip {
			continue
		}
		if q.limit >= 0 && int64(len(out.rows)) >= q.limit {
			break
		}
		doc, err := loadDoc(ctx, h.rs.selDoc, k)
		if err != nil {
			return err
		}
		if doc == nil {
			out.rows = append(out.rows, driver.Row{Key: jsonKey(k), Error: errNotFound("not_found")})
			continue
		}
		row, err := h.docRow(ctx, nil, k, doc.Rev, doc.Deleted, q)
		if err != nil {
			return err
		}
		out.rows = append(out.rows, row)
	}
	return nil
}
