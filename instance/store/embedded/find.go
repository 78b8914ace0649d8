package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/go-kivik/kivik/v4/driver"
	"github.com/hearth-cloud/hearth/instance/store/mangoindex"
)

// Find runs a Mango query: it scans the planned index range (or all documents in id order),
// re-checks each candidate against the selector, then skips, limits and projects.
func (d *db) Find(ctx context.Context, query any, _ driver.Options) (driver.Rows, error) {
	var out *sliceRows
	err := d.use(func(h *handle) error {
		q, p, err := h.plan(query)
		if err != nil {
			return err
		}
		out, err = h.find(ctx, q, p)
		return err
	})
	return out, err
}

// scanSQL returns the query listing candidates (key, docid, rev, tree, body, atts) of plan p.
func scanSQL(p *mangoindex.Plan, id int64) (string, []any) {
	col, from, args := "d.id", "docs d", []any{}
	where := "d.deleted = 0 AND substr(d.id, 1, 8) != '_design/'"
	if p.Index != nil {
		col, from = "ir.key", "index_rows ir JOIN docs d ON d.id = ir.docid"
		where = "ir.index_id = ? AND d.deleted = 0"
		args = append(args, id)
	}
	bound := func(v []byte) any {
		if p.Index == nil {
			return string(v)
		}
		return v
	}
	if p.Start != nil {
		where += " AND " + col + map[bool]string{true: " >= ?", false: " > ?"}[p.StartInclusive]
		args = append(args, bound(p.Start))
	}
	if p.End != nil {
		where += " AND " + col + map[bool]string{true: " <= ?", false: " < ?"}[p.EndInclusive]
		args = append(args, bound(p.End))
	}
	cmp, order := ">", " ASC"
	if p.Descending {
		cmp, order = "<", " DESC"
	}
	if p.After != nil {
		where += fmt.Sprintf(" AND (%s, d.id) %s (?, ?)", col, cmp)
		args = append(args, bound(p.After), p.AfterID)
	}
	return `SELECT ` + col + `, d.id, d.rev, d.tree, r.body, r.atts FROM ` + from +
		` JOIN revs r ON r.id = d.id AND r.rev = d.rev WHERE ` + where +
		` ORDER BY ` + col + order + `, d.id` + order, args
}

func (h *handle) indexID(p *mangoindex.Plan) int64 {
	for _, s := range h.indexList() {
		if p.Index != nil && s.ix.DDoc == p.Index.DDoc && s.ix.Name == p.Index.Name {
			return s.id
		}
	}
	return 0
}

func (h *handle) find(ctx context.Context, q *mangoindex.Query, p *mangoindex.Plan) (*sliceRows, error) {
	out := &sliceRows{warning: p.Warning, bookmark: q.Bookmark}
	if out.bookmark == "" {
		out.bookmark = "nil"
	}
	if p.Empty || q.Limit() == 0 {
		return out, nil
	}
	query, args := scanSQL(p, h.indexID(p))
	rows, err := h.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("embedded: find: %w", err)
	}
	defer rows.Close()
	skip := q.Skip()
	r := h.renderer(ctx)
	for rows.Next() && len(out.rows) < q.Limit() {
		var key []byte
		var doc docRow
		var row revRow
		var id string
		var tree, atts []byte
		if err := rows.Scan(&key, &id, &doc.Rev, &tree, &row.Body, &atts); err != nil {
			return nil, fmt.Errorf("embedded: find: %w", err)
		}
		m, err := h.candidate(r, id, &doc, &row, tree, atts, q)
		if err != nil || m == nil {
			if err != nil {
				return nil, err
			}
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		body, err := json.Marshal(q.Project(m))
		if err != nil {
			return nil, fmt.Errorf("embedded: find: %w", err)
		}
		out.rows = append(out.rows, driver.Row{ID: id, Doc: bytes.NewReader(body)})
		out.bookmark = mangoindex.Bookmark(key, id)
	}
	return out, rows.Err()
}

// candidate decodes a scanned document and returns it if it matches q, else nil.
func (h *handle) candidate(r renderer, id string, doc *docRow, row *revRow, tree, atts []byte, q *mangoindex.Query) (map[string]any, error) {
	var err error
	if row.Atts, err = decodeAttMetas(atts); err != nil {
		return nil, err
	}
	if doc.Tree, err = decodeTree(tree); err != nil {
		return nil, err
	}
	body, err := r.render(id, doc.Rev, row, doc, getOpts{conflicts: q.Conflicts})
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadStoredDoc, err)
	}
	if !q.Match(m) {
		return nil, nil
	}
	return m, nil
}
