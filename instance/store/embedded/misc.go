package embedded

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/go-kivik/kivik/v4/driver"
)

func (d *db) Stats(ctx context.Context) (*driver.DBStats, error) {
	s := &driver.DBStats{Name: d.name}
	err := d.use(func(h *handle) error {
		var seq int64
		err := h.rdb.QueryRowContext(ctx, `SELECT (SELECT COALESCE(MAX(seq), 0) FROM docs), live, deleted, bytes,
			((SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count())) *
			(SELECT page_size FROM pragma_page_size()) FROM counts`).Scan(&seq, &s.DocCount, &s.DeletedCount,
			&s.ExternalSize, &s.ActiveSize)
		if err != nil {
			return fmt.Errorf("embedded: stats: %w", err)
		}
		s.UpdateSeq = strconv.FormatInt(seq, 10)
		s.DiskSize = fileSize(d.c.path(d.name)) + fileSize(d.c.path(d.name)+"-wal")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// Compact deletes the bodies of revisions that are no longer leaves, as CouchDB's compaction
// does, then the attachment bytes no stored revision refers to any more.
func (d *db) Compact(ctx context.Context) error {
	return d.use(func(h *handle) error {
		return h.submit(ctx, func(w *wtx) error {
			if err := w.dropInnerBodies(); err != nil {
				return err
			}
			_, err := w.h.wconn.ExecContext(w.ctx, `DELETE FROM blobs WHERE digest NOT IN
				(SELECT json_extract(a.value, '$.digest') FROM revs, json_each(revs.atts) a WHERE revs.atts IS NOT NULL)`)
			if err != nil {
				return fmt.Errorf("embedded: compact: %w", err)
			}
			return nil
		})
	})
}

// CompactView is a no-op: there are no view indexes.
func (d *db) CompactView(context.Context, string) error { return nil }

// ViewCleanup is a no-op: there are no view indexes.
func (d *db) ViewCleanup(context.Context) error { return nil }

// Flush is a no-op: every acknowledged write was already fsynced.
func (d *db) Flush(context.Context) error { return d.use(func(*handle) error { return nil }) }

// Query answers 501: views are not supported by the embedded engine.
func (d *db) Query(context.Context, string, string, driver.Options) (driver.Rows, error) {
	return nil, errNotImplemented("Views")
}

// Close releases nothing: database files are opened on use and closed when idle.
func (d *db) Close() error { return nil }

// dropInnerBodies deletes the stored bodies of revisions that are not leaves of their tree.
func (w *wtx) dropInnerBodies() error {
	rows, err := w.h.wconn.QueryContext(w.ctx, `SELECT r.id, r.rev, d.tree FROM revs r JOIN docs d ON d.id = r.id
		WHERE r.rev != d.rev`)
	if err != nil {
		return fmt.Errorf("embedded: compact: %w", err)
	}
	type idRev struct{ id, rev string }
	var inner []idRev
	for rows.Next() {
		var id, rev string
		var raw []byte
		if err := rows.Scan(&id, &rev, &raw); err != nil {
			rows.Close()
			return fmt.Errorf("embedded: compact: %w", err)
		}
		tree, err := decodeTree(raw)
		if err != nil {
			rows.Close()
			return err
		}
		if !tree.isLeaf(rev) {
			inner = append(inner, idRev{id, rev})
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("embedded: compact: %w", err)
	}
	for _, r := range inner {
		if err := w.dropRev(r.id, r.rev); err != nil {
			return err
		}
	}
	return nil
}
