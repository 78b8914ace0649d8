package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/go-kivik/kivik/v4/driver"
	"github.com/hearth-cloud/hearth/instance/store/mangoindex"
)

// CreateIndex creates a Mango json index and fills it from every document, in one write.
// Creating an index that exists with the same definition does nothing.
func (d *db) CreateIndex(ctx context.Context, ddoc, name string, index any, _ driver.Options) error {
	def, err := toJSON(index)
	if err != nil {
		return err
	}
	ix, err := mangoindex.NewIndex(ddoc, name, def)
	if err != nil {
		return fromMango(err)
	}
	return d.use(func(h *handle) error {
		return h.submit(ctx, func(w *wtx) error { return w.createIndex(ix, def) })
	})
}

func (w *wtx) createIndex(ix mangoindex.Index, def []byte) error {
	var old []byte
	err := w.h.wconn.QueryRowContext(w.ctx, `SELECT def FROM mango_indexes WHERE ddoc = ? AND name = ?`,
		ix.DDoc, ix.Name).Scan(&old)
	if err == nil && string(old) == string(def) {
		return nil
	}
	if err := w.dropIndex(ix.DDoc, ix.Name); err != nil && !isNotFound(err) {
		return err
	}
	res, err := w.h.wconn.ExecContext(w.ctx, `INSERT INTO mango_indexes (ddoc, name, def) VALUES (?, ?, ?)`,
		ix.DDoc, ix.Name, def)
	if err != nil {
		return fmt.Errorf("embedded: create index: %w", err)
	}
	s := storedIndex{ix: ix}
	if s.id, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("embedded: create index: %w", err)
	}
	if err := w.buildIndex(s); err != nil {
		return err
	}
	list := append(append([]storedIndex{}, w.h.indexList()...), s)
	w.h.indexes.Store(&list)
	return nil
}

// dropIndex removes an index and its rows.
func (w *wtx) dropIndex(ddoc, name string) error {
	var id int64
	err := w.h.wconn.QueryRowContext(w.ctx, `SELECT id FROM mango_indexes WHERE ddoc = ? AND name = ?`,
		ddoc, name).Scan(&id)
	if err != nil {
		return errNotFound("Index not found")
	}
	for _, q := range []string{`DELETE FROM index_rows WHERE index_id = ?`, `DELETE FROM mango_indexes WHERE id = ?`} {
		if _, err := w.h.wconn.ExecContext(w.ctx, q, id); err != nil {
			return fmt.Errorf("embedded: delete index: %w", err)
		}
	}
	var list []storedIndex
	for _, s := range w.h.indexList() {
		if s.id != id {
			list = append(list, s)
		}
	}
	w.h.indexes.Store(&list)
	return nil
}

func isNotFound(err error) bool {
	var e *Error
	return asError(err, &e) && e.Status == 404
}

func (d *db) GetIndexes(_ context.Context, _ driver.Options) ([]driver.Index, error) {
	var out []driver.Index
	err := d.use(func(h *handle) error {
		list := h.indexList()
		ixs := make([]mangoindex.Index, len(list))
		for i, s := range list {
			ixs[i] = s.ix
		}
		out = mangoindex.DriverIndexes(ixs)
		return nil
	})
	return out, err
}

func (d *db) DeleteIndex(ctx context.Context, ddoc, name string, _ driver.Options) error {
	ddoc = "_design/" + strings.TrimPrefix(ddoc, "_design/")
	return d.use(func(h *handle) error {
		return h.submit(ctx, func(w *wtx) error { return w.dropIndex(ddoc, name) })
	})
}

// Explain tells which index Find would use for query and which range it would scan.
func (d *db) Explain(_ context.Context, query any, _ driver.Options) (*driver.QueryPlan, error) {
	var plan *driver.QueryPlan
	err := d.use(func(h *handle) error {
		q, p, err := h.plan(query)
		if err != nil {
			return err
		}
		plan = q.QueryPlan(d.name, p)
		return nil
	})
	return plan, err
}

// plan parses a _find body and plans it over the database's indexes.
func (h *handle) plan(query any) (*mangoindex.Query, *mangoindex.Plan, error) {
	body, err := toJSON(query)
	if err != nil {
		return nil, nil, err
	}
	if !json.Valid(body) {
		return nil, nil, errBadRequest("Request body is not valid JSON")
	}
	q, err := mangoindex.ParseQuery(body)
	if err != nil {
		return nil, nil, fromMango(err)
	}
	list := h.indexList()
	ixs := make([]mangoindex.Index, len(list))
	for i, s := range list {
		ixs[i] = s.ix
	}
	p, err := q.Plan(ixs)
	if err != nil {
		return nil, nil, fromMango(err)
	}
	return q, p, nil
}
