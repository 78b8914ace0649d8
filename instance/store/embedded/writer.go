package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// maxBatch bounds how many queued operations one transaction applies.
const maxBatch = 512

// writeOp is one caller's write; fn applies it inside the batch transaction. An *Error from fn
// fails this operation only; any other error fails the whole batch.
type writeOp struct {
	ctx  context.Context // an operation whose context ended before its batch is skipped
	fn   func(w *wtx) error
	err  error
	done chan struct{}
}

// wtx is the state of the batch transaction an operation runs in.
type wtx struct {
	ctx    context.Context
	h      *handle
	st     *stmts
	events []changeEvent // changes made so far, published at commit
}

// submit queues fn for the writer and waits until its batch was committed (or failed). Once
// queued, an operation is waited for even if ctx ends, so that its outcome is the one
// reported (and fn's results are not read while it runs); the writer skips it if ctx ended
// before its batch started.
func (h *handle) submit(ctx context.Context, fn func(w *wtx) error) error {
	op := &writeOp{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case h.queue <- op:
	case <-h.stopping:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-op.done:
		return op.err
	case <-h.stopped:
		select {
		case <-op.done:
			return op.err
		default:
			return errClosed // never started: fn does not run any more
		}
	}
}

// shrinkAfter is how long a database goes unused before it gives back the memory it can:
// the writer's page cache, and the read pool's connections.
const shrinkAfter = 5 * time.Second

func (h *handle) writer() {
	defer close(h.stopped)
	sp, err := prepareSavepoints(h.wconn)
	shrink := time.NewTimer(shrinkAfter)
	defer shrink.Stop()
	for {
		select {
		case op := <-h.queue:
			batch := h.drain(op)
			if err != nil {
				finish(batch, err)
				continue
			}
			h.commit(batch, sp)
			shrink.Reset(shrinkAfter)
		case <-shrink.C:
			// Frees the page cache; the next write reads its pages again from the OS's cache.
			_, _ = h.wconn.ExecContext(context.Background(), "PRAGMA shrink_memory") // only memory is at stake
		case <-h.stopping:
			for {
				select {
				case op := <-h.queue:
					finish([]*writeOp{op}, errClosed)
				default:
					_ = sp.close()
					return
				}
			}
		}
	}
}

// linger is how long the writer waits for more operations before a commit when writers are
// concurrent: a commit costs its fsync and WAL pages whatever its size, so fuller batches give
// more documents per second for a fraction of a millisecond of latency.
const linger = 300 * time.Microsecond

// drain collects the operations queued behind first. When the previous batch held several
// operations (concurrent writers), it waits up to linger for more.
func (h *handle) drain(first *writeOp) []*writeOp {
	batch := []*writeOp{first}
	var timeout <-chan time.Time
	if h.lastBatch > 1 {
		t := time.NewTimer(linger)
		defer t.Stop()
		timeout = t.C
	}
	for len(batch) < maxBatch && len(batch) < 2*h.lastBatch+2 {
		select {
		case op := <-h.queue:
			batch = append(batch, op)
			continue
		default:
		}
		if timeout == nil {
			break
		}
		select {
		case op := <-h.queue:
			batch = append(batch, op)
			continue
		case <-timeout:
		}
		break
	}
	h.lastBatch = len(batch)
	return batch
}

func finish(batch []*writeOp, err error) {
	for _, op := range batch {
		if err != nil {
			op.err = err
		}
		close(op.done)
	}
}

// commit applies batch in one transaction, each operation inside its own savepoint so that
// one failing operation leaves the others applied, then commits (one fsync) and answers all.
func (h *handle) commit(batch []*writeOp, sp *savepoints) {
	ctx := context.Background()
	startSeq := h.seq
	fail := func(err error) {
		_, _ = h.wconn.ExecContext(ctx, "ROLLBACK") // the transaction may already be gone
		h.seq = startSeq
		_ = h.loadIndexes(ctx) // undo index changes of the batch; on error the list stays
		finish(batch, fmt.Errorf("embedded: write to %s: %w", h.name, err))
	}
	if _, err := h.wconn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		finish(batch, fmt.Errorf("embedded: write to %s: %w", h.name, err))
		return
	}
	// Re-read the last sequence: another client of the same file may have written.
	if err := sp.maxSeq.QueryRowContext(ctx).Scan(&h.seq); err != nil {
		fail(err)
		return
	}
	w := &wtx{ctx: ctx, h: h, st: h.ws}
	for _, op := range batch {
		if err := sp.run(ctx, w, op); err != nil {
			fail(err)
			return
		}
	}
	if _, err := h.wconn.ExecContext(ctx, "COMMIT"); err != nil {
		fail(err)
		return
	}
	h.cache.invalidate(h, w.events)
	h.publish(h.seq, w.events)
	finish(batch, nil)
}

// savepoints are the statements the writer runs around operations.
type savepoints struct{ begin, release, rollback, maxSeq *sql.Stmt }

func prepareSavepoints(conn *sql.Conn) (*savepoints, error) {
	ctx := context.Background()
	sp := &savepoints{}
	var err error
	if sp.begin, err = conn.PrepareContext(ctx, "SAVEPOINT op"); err != nil {
		return nil, err
	}
	if sp.release, err = conn.PrepareContext(ctx, "RELEASE op"); err != nil {
		return nil, err
	}
	if sp.rollback, err = conn.PrepareContext(ctx, "ROLLBACK TO op"); err != nil {
		return nil, err
	}
	if sp.maxSeq, err = conn.PrepareContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM docs"); err != nil {
		return nil, err
	}
	return sp, nil
}

func (sp *savepoints) close() error {
	if sp == nil {
		return nil
	}
	return errors.Join(sp.begin.Close(), sp.release.Close(), sp.rollback.Close(), sp.maxSeq.Close())
}

// run applies op under a savepoint; it returns only errors that must fail the batch.
func (sp *savepoints) run(ctx context.Context, w *wtx, op *writeOp) error {
	if err := op.ctx.Err(); err != nil {
		op.err = err
		return nil
	}
	if _, err := sp.begin.ExecContext(ctx); err != nil {
		return err
	}
	seq, events := w.h.seq, len(w.events)
	err := op.fn(w)
	var opErr *Error
	if errors.As(err, &opErr) {
		op.err = err
		w.h.seq, w.events = seq, w.events[:events]
		if _, err := sp.rollback.ExecContext(ctx); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	_, err = sp.release.ExecContext(ctx)
	return err
}
