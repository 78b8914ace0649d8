package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// stmts are the prepared statements of one connection or pool.
type stmts struct {
	selDoc, upsertDoc, selWinner    *sql.Stmt
	selRev, insRev, delRev          *sql.Stmt
	selBlob, hasBlob, insBlob       *sql.Stmt
	selLocal, upsertLocal, delLocal *sql.Stmt
	delIndexRows, insIndexRow       *sql.Stmt
	selHead                         *sql.Stmt
}

type prepareFunc func(ctx context.Context, query string) (*sql.Stmt, error)

func prepareStmts(ctx context.Context, prepare prepareFunc) (*stmts, error) {
	s := &stmts{}
	list := []struct {
		dst   **sql.Stmt
		query string
	}{
		{&s.selDoc, `SELECT seq, deleted, rev, tree FROM docs WHERE id = ?`},
		{&s.selHead, `SELECT deleted, rev FROM docs WHERE id = ?`},
		{&s.selWinner, `SELECT d.seq, d.deleted, d.rev, d.tree, r.body, r.atts FROM docs d
			JOIN revs r ON r.id = d.id AND r.rev = d.rev WHERE d.id = ?`},
		{&s.upsertDoc, `INSERT INTO docs (id, seq, deleted, rev, tree) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, deleted = excluded.deleted,
			rev = excluded.rev, tree = excluded.tree`},
		{&s.selRev, `SELECT deleted, body, atts FROM revs WHERE id = ? AND rev = ?`},
		{&s.insRev, `INSERT OR REPLACE INTO revs (id, rev, deleted, body, atts) VALUES (?, ?, ?, ?, ?)`},
		{&s.delRev, `DELETE FROM revs WHERE id = ? AND rev = ?`},
		{&s.selBlob, `SELECT data FROM blobs WHERE digest = ?`},
		{&s.hasBlob, `SELECT length(data) FROM blobs WHERE digest = ?`},
		{&s.insBlob, `INSERT OR IGNORE INTO blobs (digest, data) VALUES (?, ?)`},
		{&s.selLocal, `SELECT rev, body FROM local_docs WHERE id = ?`},
		{&s.upsertLocal, `INSERT OR REPLACE INTO local_docs (id, rev, body) VALUES (?, ?, ?)`},
		{&s.delLocal, `DELETE FROM local_docs WHERE id = ?`},
		{&s.delIndexRows, `DELETE FROM index_rows WHERE index_id = ? AND docid = ?`},
		{&s.insIndexRow, `INSERT INTO index_rows (index_id, key, docid) VALUES (?, ?, ?)`},
	}
	for _, l := range list {
		st, err := prepare(ctx, l.query)
		if err != nil {
			_ = s.close()
			return nil, fmt.Errorf("embedded: prepare: %w", err)
		}
		*l.dst = st
	}
	return s, nil
}

func (s *stmts) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.selDoc, s.selWinner, s.upsertDoc, s.selRev, s.insRev, s.delRev, s.selBlob,
		s.hasBlob, s.insBlob, s.selLocal, s.upsertLocal, s.delLocal, s.delIndexRows, s.insIndexRow, s.selHead} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// docRow is a document's row in docs.
type docRow struct {
	Seq     int64
	Deleted bool
	Rev     string // winning rev
	Tree    revTree
}

// loadDoc reads a document's row; it returns a nil row when the document never existed.
func loadDoc(ctx context.Context, st *sql.Stmt, id string) (*docRow, error) {
	var r docRow
	var tree []byte
	err := st.QueryRowContext(ctx, id).Scan(&r.Seq, &r.Deleted, &r.Rev, &tree)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil //nolint:nilnil // absence is a normal answer here
	}
	if err != nil {
		return nil, fmt.Errorf("embedded: read %s: %w", id, err)
	}
	if r.Tree, err = decodeTree(tree); err != nil {
		return nil, err
	}
	return &r, nil
}

// revRow is a stored leaf revision.
type revRow struct {
	Deleted bool
	Body    []byte
	Atts    attMetas
}

func loadRev(ctx context.Context, st *sql.Stmt, id, rev string) (*revRow, error) {
	var r revRow
	var atts []byte
	err := st.QueryRowContext(ctx, id, rev).Scan(&r.Deleted, &r.Body, &atts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil //nolint:nilnil // absence is a normal answer here
	}
	if err != nil {
		return nil, fmt.Errorf("embedded: read %s: %w", id, err)
	}
	if r.Atts, err = decodeAttMetas(atts); err != nil {
		return nil, err
	}
	return &r, nil
}

// loadWinner reads a document's row and its winning revision in one query; the tree is
// decoded only when withTree is set. It returns nil rows when the document never existed.
func loadWinner(ctx context.Context, st *sql.Stmt, id string, withTree bool) (*docRow, *revRow, error) {
	var d docRow
	var r revRow
	var tree, atts []byte
	err := st.QueryRowContext(ctx, id).Scan(&d.Seq, &d.Deleted, &d.Rev, &tree, &r.Body, &atts)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("embedded: read %s: %w", id, err)
	}
	r.Deleted = d.Deleted
	if r.Atts, err = decodeAttMetas(atts); err != nil {
		return nil, nil, err
	}
	if withTree {
		if d.Tree, err = decodeTree(tree); err != nil {
			return nil, nil, err
		}
	}
	return &d, &r, nil
}
