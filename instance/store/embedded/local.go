package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-kivik/kivik/v4/driver"
)

// Local documents (_local/...) have no revision tree: their rev is "0-N", counting writes.

func localRev(n int64) string { return "0-" + strconv.FormatInt(n, 10) }

func (w *wtx) localRevNow(id string) (int64, bool, error) {
	var n int64
	var body []byte
	err := w.st.selLocal.QueryRowContext(w.ctx, id).Scan(&n, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("embedded: read %s: %w", id, err)
	}
	return n, true, nil
}

func (w *wtx) putLocal(id string, in *incomingDoc) (string, error) {
	n, ok, err := w.localRevNow(id)
	if err != nil {
		return "", err
	}
	if ok && in.Rev != localRev(n) {
		return "", errConflict()
	}
	if in.Deleted {
		return w.deleteLocal(id, in.Rev)
	}
	n++
	if _, err := w.st.upsertLocal.ExecContext(w.ctx, id, n, in.Body); err != nil {
		return "", fmt.Errorf("embedded: write %s: %w", id, err)
	}
	return localRev(n), nil
}

func (w *wtx) deleteLocal(id, rev string) (string, error) {
	n, ok, err := w.localRevNow(id)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errNotFound("missing")
	}
	if rev != localRev(n) {
		return "", errConflict()
	}
	if _, err := w.st.delLocal.ExecContext(w.ctx, id); err != nil {
		return "", fmt.Errorf("embedded: delete %s: %w", id, err)
	}
	return "0-0", nil
}

func (h *handle) getLocal(ctx context.Context, id string) (string, []byte, error) {
	var n int64
	var body []byte
	err := h.rs.selLocal.QueryRowContext(ctx, id).Scan(&n, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, errNotFound("missing")
	}
	if err != nil {
		return "", nil, fmt.Errorf("embedded: read %s: %w", id, err)
	}
	rev := localRev(n)
	doc := renderLocal(id, rev, body)
	return rev, doc, nil
}

func renderLocal(id, rev string, body []byte) []byte {
	row := &revRow{Body: body}
	doc, _ := renderer{}.render(id, rev, row, nil, getOpts{}) // no attachments: cannot fail
	return doc
}

// LocalDocs lists the _local documents, ordered by id.
func (d *db) LocalDocs(ctx context.Context, options driver.Options) (driver.Rows, error) {
	p := getParams(options)
	var out *sliceRows
	err := d.use(func(h *handle) error {
		rows, err := h.rdb.QueryContext(ctx, `SELECT id, rev, body FROM local_docs ORDER BY id`)
		if err != nil {
			return fmt.Errorf("embedded: list local docs: %w", err)
		}
		defer rows.Close()
		out = &sliceRows{}
		for rows.Next() {
			var id string
			var n int64
			var body []byte
			if err := rows.Scan(&id, &n, &body); err != nil {
				return fmt.Errorf("embedded: list local docs: %w", err)
			}
			row := driver.Row{ID: id, Key: jsonKey(id), Value: strings.NewReader(`{"rev":"` + localRev(n) + `"}`)}
			if p.bool("include_docs") {
				row.Doc = strings.NewReader(string(renderLocal(id, localRev(n), body)))
			}
			out.rows = append(out.rows, row)
		}
		out.total = int64(len(out.rows))
		return rows.Err()
	})
	return out, err
}
