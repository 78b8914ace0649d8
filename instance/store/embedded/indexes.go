package embedded

import (
	"context"
	"crypto/md5" //nolint:gosec // index names, not security
	"encoding/json"
	"fmt"
	"strings"

	"github.com/go-kivik/kivik/v4/driver"
	"github.com/go-kivik/kivik/v4/x/mango"
)

// CreateIndex records a Mango index definition. Until indexes are maintained, queries scan.
func (d *db) CreateIndex(ctx context.Context, ddoc, name string, index any, _ driver.Options) error {
	def, err := toJSON(index)
	if err != nil {
		return err
	}
	var idx struct {
		Fields []any `json:"fields"`
	}
	if err := json.Unmarshal(def, &idx); err != nil || len(idx.Fields) == 0 {
		return errBadRequest("Index definition must have a non-empty fields list")
	}
	sum := fmt.Sprintf("%x", md5.Sum(def)) //nolint:gosec // see import
	if name == "" {
		name = sum
	}
	if ddoc == "" {
		ddoc = sum
	}
	ddoc = "_design/" + strings.TrimPrefix(ddoc, "_design/")
	return d.use(func(h *handle) error {
		return h.submit(ctx, func(w *wtx) error {
			_, err := w.h.wconn.ExecContext(w.ctx,
				`INSERT OR IGNORE INTO mango_indexes (ddoc, name, def) VALUES (?, ?, ?)`, ddoc, name, def)
			return err
		})
	})
}

func (d *db) GetIndexes(ctx context.Context, _ driver.Options) ([]driver.Index, error) {
	out := []driver.Index{{Name: "_all_docs", Type: "special",
		Definition: map[string]any{"fields": []map[string]string{{"_id": "asc"}}}}}
	err := d.use(func(h *handle) error {
		rows, err := h.rdb.QueryContext(ctx, `SELECT ddoc, name, def FROM mango_indexes ORDER BY ddoc, name`)
		if err != nil {
			return fmt.Errorf("embedded: indexes: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var ddoc, name, def string
			if err := rows.Scan(&ddoc, &name, &def); err != nil {
				return fmt.Errorf("embedded: indexes: %w", err)
			}
			fields, err := mango.NormalizeIndexFields(def)
			if err != nil {
				return fmt.Errorf("%w: %w", errBadStoredDoc, err)
			}
			out = append(out, driver.Index{DesignDoc: ddoc, Name: name, Type: "json",
				Definition: map[string]any{"fields": fields}})
		}
		return rows.Err()
	})
	return out, err
}

func (d *db) DeleteIndex(ctx context.Context, ddoc, name string, _ driver.Options) error {
	ddoc = "_design/" + strings.TrimPrefix(ddoc, "_design/")
	return d.use(func(h *handle) error {
		return h.submit(ctx, func(w *wtx) error {
			res, err := w.h.wconn.ExecContext(w.ctx, `DELETE FROM mango_indexes WHERE ddoc = ? AND name = ?`, ddoc, name)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errNotFound("Index not found")
			}
			return nil
		})
	})
}

// Explain describes how Find runs a query: always a scan of _all_docs.
func (d *db) Explain(ctx context.Context, query any, _ driver.Options) (*driver.QueryPlan, error) {
	if err := d.use(func(*handle) error { return nil }); err != nil {
		return nil, err
	}
	q, err := parseFind(query)
	if err != nil {
		return nil, err
	}
	var sel map[string]any
	_ = json.Unmarshal(q.Selector, &sel) // parsed already by parseFind
	var fields []any
	optFields := any("all_fields")
	if len(q.Fields) > 0 {
		optFields = q.Fields
		for _, f := range q.Fields {
			fields = append(fields, f)
		}
	}
	sortOpt := any(map[string]any{})
	if len(q.Sort) > 0 {
		sortOpt = q.Sort
	}
	return &driver.QueryPlan{
		DBName: d.name,
		Index: map[string]any{"ddoc": nil, "name": "_all_docs", "type": "special",
			"def": map[string]any{"fields": []any{map[string]string{"_id": "asc"}}}},
		Selector: sel,
		Options: map[string]any{"limit": q.limit(), "skip": q.Skip, "fields": optFields, "sort": sortOpt,
			"bookmark": "nil", "conflicts": q.Conflicts, "r": []int{49}, "use_index": []any{}},
		Limit:  q.limit(),
		Skip:   q.Skip,
		Fields: fields,
		Range:  map[string]any{"start_key": nil, "end_key": "\xef\xbf\xbd"},
	}, nil
}
