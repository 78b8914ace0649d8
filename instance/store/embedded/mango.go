package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/hearth-cloud/hearth/instance/store/mangoindex"
)

// storedIndex is a Mango index and its id in the index_rows table.
type storedIndex struct {
	id int64
	ix mangoindex.Index
}

// fromMango turns a mangoindex client error into a CouchDB-shaped 400.
func fromMango(err error) error {
	var me *mangoindex.Error
	if errors.As(err, &me) {
		return newError(http.StatusBadRequest, me.Name, me.Reason)
	}
	return err
}

func (h *handle) indexList() []storedIndex {
	if l := h.indexes.Load(); l != nil {
		return *l
	}
	return nil
}

func (h *handle) loadIndexes(ctx context.Context) error {
	rows, err := h.wconn.QueryContext(ctx, `SELECT id, ddoc, name, def FROM mango_indexes ORDER BY ddoc, name`)
	if err != nil {
		return fmt.Errorf("embedded: load indexes of %s: %w", h.name, err)
	}
	defer rows.Close()
	list := []storedIndex{}
	for rows.Next() {
		var s storedIndex
		var ddoc, name string
		var def []byte
		if err := rows.Scan(&s.id, &ddoc, &name, &def); err != nil {
			return fmt.Errorf("embedded: load indexes of %s: %w", h.name, err)
		}
		if s.ix, err = mangoindex.NewIndex(ddoc, name, def); err != nil {
			return fmt.Errorf("%w: index %s/%s: %w", errBadStoredDoc, ddoc, name, err)
		}
		list = append(list, s)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("embedded: load indexes of %s: %w", h.name, err)
	}
	h.indexes.Store(&list)
	return nil
}

// reindex updates the rows of doc id in every index, from its winning revision in tree.
func (w *wtx) reindex(id string, tree revTree, only ...storedIndex) error {
	list := only
	if len(list) == 0 {
		list = w.h.indexList()
	}
	if len(list) == 0 {
		return nil
	}
	doc, err := w.winnerDoc(id, tree)
	if err != nil {
		return err
	}
	for _, s := range list {
		if _, err := w.st.delIndexRows.ExecContext(w.ctx, s.id, id); err != nil {
			return fmt.Errorf("embedded: index %s: %w", id, err)
		}
		if doc == nil {
			continue
		}
		if key, ok := s.ix.Key(doc); ok {
			if _, err := w.st.insIndexRow.ExecContext(w.ctx, s.id, key, id); err != nil {
				return fmt.Errorf("embedded: index %s: %w", id, err)
			}
		}
	}
	return nil
}

// winnerDoc decodes the winning revision of doc id; nil when it is deleted.
func (w *wtx) winnerDoc(id string, tree revTree) (map[string]any, error) {
	win := tree.winner()
	if win == nil || win.Deleted {
		return nil, nil
	}
	row, err := w.loadRev(id, win.Rev)
	if err != nil || row == nil {
		return nil, err
	}
	return decodeDoc(renderer{ctx: w.ctx, blobs: w.st.selBlob}, id, win.Rev, row)
}

func decodeDoc(r renderer, id, rev string, row *revRow) (map[string]any, error) {
	body, err := r.render(id, rev, row, nil, getOpts{})
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadStoredDoc, err)
	}
	return doc, nil
}

// buildIndex fills the rows of a new index from every live document.
func (w *wtx) buildIndex(s storedIndex) error {
	after := ""
	for {
		var ids []string
		var trees [][]byte
		rows, err := w.h.wconn.QueryContext(w.ctx,
			`SELECT id, tree FROM docs WHERE deleted = 0 AND id > ? ORDER BY id LIMIT 500`, after)
		if err != nil {
			return fmt.Errorf("embedded: build index: %w", err)
		}
		for rows.Next() {
			var id string
			var tree []byte
			if err := rows.Scan(&id, &tree); err != nil {
				_ = rows.Close()
				return fmt.Errorf("embedded: build index: %w", err)
			}
			ids, trees = append(ids, id), append(trees, tree)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("embedded: build index: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		for i, id := range ids {
			tree, err := decodeTree(trees[i])
			if err != nil {
				return err
			}
			if err := w.reindex(id, tree, s); err != nil {
				return err
			}
		}
		after = ids[len(ids)-1]
	}
}
