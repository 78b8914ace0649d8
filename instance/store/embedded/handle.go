package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// handle is one open database: a writer connection fed by one goroutine, and a read pool.
type handle struct {
	name  string
	wdb   *sql.DB
	wconn *sql.Conn
	ws    *stmts // on wconn
	rdb   *sql.DB
	rs    *stmts // on the read pool

	queue    chan *writeOp
	stopping chan struct{} // closed by close to end the writer
	stopped  chan struct{} // closed when the writer ended
	dead     chan struct{} // closed once the handle is closed: waiters re-acquire or end
	drained  chan struct{} // closed when a doomed handle has no user left
	gone     chan struct{} // closed once close has closed the files

	lastBatch int           // size of the writer's previous batch; only the writer goroutine uses it
	cache     *docCache     // the client's document cache
	ready     chan struct{} // closed once open returned
	openErr   error         // set before ready is closed: why open failed

	// guarded by the client's mu
	refs     int // callers holding the handle (acquire to release)
	watchers int // live changes feeds waiting for a commit
	lastUse  time.Time
	doomed   bool // the database is being destroyed

	indexes atomic.Pointer[[]storedIndex] // Mango indexes; replaced by the writer

	seq        int64 // guarded by the writer goroutine: last sequence used
	notify     sync.Mutex
	pubSeq     int64         // guarded by notify: last committed sequence
	wake       chan struct{} // guarded by notify: closed and replaced at every commit
	events     []changeEvent // guarded by notify: the latest committed changes, oldest first
	eventsFrom int64         // guarded by notify: every change from this sequence on is in events

	closeOnce sync.Once
	closeErr  error
}

const schema = `
CREATE TABLE IF NOT EXISTS docs (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, deleted INTEGER NOT NULL,
	rev TEXT NOT NULL, tree BLOB NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS docs_seq ON docs(seq);
CREATE TABLE IF NOT EXISTS revs (id TEXT NOT NULL, rev TEXT NOT NULL, deleted INTEGER NOT NULL,
	body BLOB NOT NULL, atts BLOB, PRIMARY KEY (id, rev));
CREATE TABLE IF NOT EXISTS blobs (digest TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS local_docs (id TEXT PRIMARY KEY, rev INTEGER NOT NULL, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS mango_indexes (id INTEGER PRIMARY KEY, ddoc TEXT NOT NULL, name TEXT NOT NULL,
	def BLOB NOT NULL, UNIQUE (ddoc, name));
CREATE TABLE IF NOT EXISTS index_rows (index_id INTEGER NOT NULL, key BLOB NOT NULL, docid TEXT NOT NULL,
	PRIMARY KEY (index_id, key, docid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS index_rows_doc ON index_rows (index_id, docid);
CREATE TABLE IF NOT EXISTS counts (id INTEGER PRIMARY KEY CHECK (id = 1), live INTEGER NOT NULL,
	deleted INTEGER NOT NULL, bytes INTEGER NOT NULL);
INSERT OR IGNORE INTO counts SELECT 1, (SELECT COUNT(*) FROM docs WHERE deleted = 0),
	(SELECT COUNT(*) FROM docs WHERE deleted != 0),
	(SELECT COALESCE(SUM(length(body)), 0) FROM revs) + (SELECT COALESCE(SUM(length(data)), 0) FROM blobs);
CREATE TRIGGER IF NOT EXISTS docs_count_ins AFTER INSERT ON docs BEGIN
	UPDATE counts SET live = live + (NEW.deleted = 0), deleted = deleted + (NEW.deleted != 0) WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS docs_count_upd AFTER UPDATE OF deleted ON docs WHEN OLD.deleted != NEW.deleted BEGIN
	UPDATE counts SET live = live + (NEW.deleted = 0) - (OLD.deleted = 0),
		deleted = deleted + (NEW.deleted != 0) - (OLD.deleted != 0) WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS revs_bytes_ins AFTER INSERT ON revs BEGIN
	UPDATE counts SET bytes = bytes + length(NEW.body) WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS revs_bytes_del AFTER DELETE ON revs BEGIN
	UPDATE counts SET bytes = bytes - length(OLD.body) WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS blobs_bytes_ins AFTER INSERT ON blobs BEGIN
	UPDATE counts SET bytes = bytes + length(NEW.data) WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS blobs_bytes_del AFTER DELETE ON blobs BEGIN
	UPDATE counts SET bytes = bytes - length(OLD.data) WHERE id = 1; END;
PRAGMA user_version = 3;
`

// schemaVersion is the user_version of files with the schema above.
const schemaVersion = 3

func dsn(path string, readOnly bool) string {
	u := (&url.URL{Path: path}).EscapedPath()
	q := "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"
	if readOnly {
		q += "&_pragma=query_only(1)&_pragma=mmap_size(268435456)"
	}
	return "file:" + u + q
}

// queueLen is how many writes may wait for the writer before their callers block: the
// writer takes them all into its next batch anyway.
const queueLen = 64

func newHandle(name string, cache *docCache) *handle {
	return &handle{
		name: name, cache: cache, queue: make(chan *writeOp, queueLen), ready: make(chan struct{}),
		stopping: make(chan struct{}), stopped: make(chan struct{}), dead: make(chan struct{}),
		drained: make(chan struct{}), gone: make(chan struct{}), wake: make(chan struct{}),
	}
}

// open opens the SQLite connections of the database file at path and starts the writer; on
// failure the handle is left closed. It closes h.ready either way, h.openErr telling which.
func (h *handle) open(path string) (err error) {
	defer func() {
		if err != nil {
			h.openErr = err
			close(h.stopped) // no writer to wait for
			_ = h.closeDBs() // the error above is the one to report
		}
		close(h.ready)
	}()
	ctx := context.Background()
	if h.wdb, err = sql.Open("sqlite", dsn(path, false)); err != nil {
		return fmt.Errorf("embedded: open %s: %w", h.name, err)
	}
	h.wdb.SetMaxOpenConns(1)
	if h.wconn, err = h.wdb.Conn(ctx); err != nil {
		return fmt.Errorf("embedded: open %s: %w", h.name, err)
	}
	if err = h.initSchema(ctx); err != nil {
		return err
	}
	h.ws = newStmts(h.wconn)
	if h.rdb, err = sql.Open("sqlite", dsn(path, true)); err != nil {
		return fmt.Errorf("embedded: open %s: %w", h.name, err)
	}
	// Few readers per database, closed soon when unused (with the memory of their page caches
	// and statements): many databases may be open.
	h.rdb.SetMaxOpenConns(4)
	h.rdb.SetMaxIdleConns(4)
	h.rdb.SetConnMaxIdleTime(shrinkAfter)
	h.rs = newStmts(h.rdb)
	if err = h.wconn.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM docs`).Scan(&h.seq); err != nil {
		return fmt.Errorf("embedded: open %s: %w", h.name, err)
	}
	h.pubSeq, h.eventsFrom = h.seq, h.seq+1
	if err = h.loadIndexes(ctx); err != nil {
		return err
	}
	go h.writer()
	return nil
}

func (h *handle) initSchema(ctx context.Context) error {
	var version int
	if err := h.wconn.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return fmt.Errorf("embedded: open %s: %w", h.name, err)
	}
	if version >= schemaVersion {
		return nil
	}
	// One transaction, so one sync: creating a database costs little more than a write.
	if _, err := h.wconn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("embedded: create schema of %s: %w", h.name, err)
	}
	if err := h.upgradeSchema(ctx); err != nil {
		_, _ = h.wconn.ExecContext(ctx, "ROLLBACK") // the error above is the one to report
		return fmt.Errorf("embedded: create schema of %s: %w", h.name, err)
	}
	if _, err := h.wconn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("embedded: create schema of %s: %w", h.name, err)
	}
	return nil
}

// upgradeSchema brings the file to schemaVersion, inside a transaction.
func (h *handle) upgradeSchema(ctx context.Context) error {
	// Files of version 1 may have the first mango_indexes table, which had no id and held
	// definitions that were never used: it is replaced.
	var hasID int
	err := h.wconn.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM pragma_table_info('mango_indexes') WHERE name = 'id'`).Scan(&hasID)
	if err == nil && hasID == 0 {
		_, err = h.wconn.ExecContext(ctx, `DROP TABLE IF EXISTS mango_indexes`)
	}
	if err == nil {
		_, err = h.wconn.ExecContext(ctx, schema)
	}
	return err
}

// close stops the writer (answering queued writes with errClosed) and closes the connections.
func (h *handle) close() error {
	h.closeOnce.Do(func() {
		close(h.stopping)
		<-h.stopped
		close(h.dead)
		h.cache.forget(h)
		h.closeErr = h.closeDBs()
		close(h.gone)
	})
	return h.closeErr
}

func (h *handle) closeDBs() error {
	var errs []error
	for _, s := range []*stmts{h.ws, h.rs} {
		if s != nil {
			errs = append(errs, s.close())
		}
	}
	if h.wconn != nil {
		errs = append(errs, h.wconn.Close())
	}
	for _, d := range []*sql.DB{h.wdb, h.rdb} {
		if d != nil {
			errs = append(errs, d.Close())
		}
	}
	return errors.Join(errs...)
}

// changed returns the last committed sequence and a channel closed at the next commit.
func (h *handle) changed() (int64, <-chan struct{}) {
	h.notify.Lock()
	defer h.notify.Unlock()
	return h.pubSeq, h.wake
}

// lastSeq reads the last sequence from the file, which other clients may have advanced.
func (h *handle) lastSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := h.rdb.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM docs`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("embedded: read sequence of %s: %w", h.name, err)
	}
	return seq, nil
}
