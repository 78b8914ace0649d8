package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// stmtID names one of the statements a connection or pool prepares.
type stmtID int

const (
	qSelDoc stmtID = iota
	qSelHead
	qSelWinner
	qUpsertDoc
	qSelRev
	qInsRev
	qDelRev
	qSelBlob
	qHasBlob
	qInsBlob
	qSelLocal
	qUpsertLocal
	qDelLocal
	qDelIndexRows
	qInsIndexRow
	numStmts
)

var queries = [numStmts]string{
	qSelDoc:  `SELECT seq, deleted, rev, tree FROM docs WHERE id = ?`,
	qSelHead: `SELECT deleted, rev FROM docs WHERE id = ?`,
	qSelWinner: `SELECT d.seq, d.deleted, d.rev, d.tree, r.body, r.atts FROM docs d
			JOIN revs r ON r.id = d.id AND r.rev = d.rev WHERE d.id = ?`,
	qUpsertDoc: `INSERT INTO docs (id, seq, deleted, rev, tree) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, deleted = excluded.deleted,
			rev = excluded.rev, tree = excluded.tree`,
	qSelRev:       `SELECT deleted, body, atts FROM revs WHERE id = ? AND rev = ?`,
	qInsRev:       `INSERT OR REPLACE INTO revs (id, rev, deleted, body, atts) VALUES (?, ?, ?, ?, ?)`,
	qDelRev:       `DELETE FROM revs WHERE id = ? AND rev = ?`,
	qSelBlob:      `SELECT data FROM blobs WHERE digest = ?`,
	qHasBlob:      `SELECT length(data) FROM blobs WHERE digest = ?`,
	qInsBlob:      `INSERT OR IGNORE INTO blobs (digest, data) VALUES (?, ?)`,
	qSelLocal:     `SELECT rev, body FROM local_docs WHERE id = ?`,
	qUpsertLocal:  `INSERT OR REPLACE INTO local_docs (id, rev, body) VALUES (?, ?, ?)`,
	qDelLocal:     `DELETE FROM local_docs WHERE id = ?`,
	qDelIndexRows: `DELETE FROM index_rows WHERE index_id = ? AND docid = ?`,
	qInsIndexRow:  `INSERT INTO index_rows (index_id, key, docid) VALUES (?, ?, ?)`,
}

// sqlRunner is where statements are prepared and run: a connection, a pool or a transaction.
type sqlRunner interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// stmts are the statements of one connection or pool, each prepared on its first use: a
// database opened for one read prepares one statement, and the memory of statements never
// used is not spent. Bound to a transaction (inTx), they run in it.
type stmts struct {
	on sqlRunner
	tx *sql.Tx // set for statements bound to a transaction; base then holds the pool's
	// base are the pool's statements that tx binds; nil outside a transaction.
	base *stmts

	mu       sync.Mutex                         // serializes preparations
	prepared [numStmts]atomic.Pointer[sql.Stmt] // set once prepared

	selDoc, selHead, selWinner, upsertDoc, selRev, insRev, delRev stmt
	selBlob, hasBlob, insBlob, selLocal, upsertLocal, delLocal    stmt
	delIndexRows, insIndexRow                                     stmt
}

// stmt is one statement of a set; it is prepared when first run.
type stmt struct {
	s  *stmts
	id stmtID
}

// newStmts returns the statements of on, none prepared yet.
func newStmts(on sqlRunner) *stmts {
	s := &stmts{on: on}
	for id, dst := range []*stmt{&s.selDoc, &s.selHead, &s.selWinner, &s.upsertDoc, &s.selRev, &s.insRev,
		&s.delRev, &s.selBlob, &s.hasBlob, &s.insBlob, &s.selLocal, &s.upsertLocal, &s.delLocal,
		&s.delIndexRows, &s.insIndexRow} {
		*dst = stmt{s: s, id: stmtID(id)}
	}
	return s
}

// inTx returns the statements of s (a pool's) bound to tx, which must be a transaction of that
// pool; they are closed with the transaction. Use them from one goroutine.
func (s *stmts) inTx(tx *sql.Tx) *stmts {
	t := newStmts(tx)
	t.tx, t.base = tx, s
	return t
}

// get returns statement id, preparing it if needed.
func (s *stmts) get(ctx context.Context, id stmtID) (*sql.Stmt, error) {
	if st := s.prepared[id].Load(); st != nil {
		return st, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.prepared[id].Load(); st != nil {
		return st, nil
	}
	var st *sql.Stmt
	if s.tx != nil {
		base, err := s.base.get(ctx, id)
		if err != nil {
			return nil, err
		}
		st = s.tx.StmtContext(ctx, base)
	} else {
		var err error
		if st, err = s.on.PrepareContext(ctx, queries[id]); err != nil {
			return nil, fmt.Errorf("embedded: prepare: %w", err)
		}
	}
	s.prepared[id].Store(st)
	return st, nil
}

// QueryRowContext runs the statement for one row. When it cannot be prepared, it runs
// unprepared, so that the error comes out of Scan.
func (q stmt) QueryRowContext(ctx context.Context, args ...any) *sql.Row {
	st, err := q.s.get(ctx, q.id)
	if err != nil {
		return q.s.on.QueryRowContext(ctx, queries[q.id], args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// ExecContext runs the statement.
func (q stmt) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	st, err := q.s.get(ctx, q.id)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// close closes the statements prepared so far; statements bound to a transaction close with
// it.
func (s *stmts) close() error {
	if s.tx != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for i := range s.prepared {
		if st := s.prepared[i].Swap(nil); st != nil {
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
func loadDoc(ctx context.Context, st stmt, id string) (*docRow, error) {
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

func loadRev(ctx context.Context, st stmt, id, rev string) (*revRow, error) {
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
func loadWinner(ctx context.Context, st stmt, id string, withTree bool) (*docRow, *revRow, error) {
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
