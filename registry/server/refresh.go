package server

import (
	"context"
	"sync"
)

// refreshQueue holds the apps waiting for a re-index. An app is queued at
// most once: a trigger while it waits does nothing, a trigger while it is
// being indexed queues it once more for after.
type refreshQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	pending []int64            // guarded by mu
	state   map[int64]appState // guarded by mu
	closed  bool               // guarded by mu
}

type appState int

const (
	queued  appState = iota + 1 // waiting in pending
	running                     // being indexed
	rerun                       // being indexed, and triggered again since
)

func newRefreshQueue() *refreshQueue {
	q := &refreshQueue{state: map[int64]appState{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// push queues a re-index of the app unless one is already waiting.
func (q *refreshQueue) push(id int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch q.state[id] {
	case queued, rerun:
	case running:
		q.state[id] = rerun
	default:
		q.state[id] = queued
		q.pending = append(q.pending, id)
		q.cond.Signal()
	}
}

// pop waits for an app to re-index; false once the queue is closed.
func (q *refreshQueue) pop() (int64, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.pending) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return 0, false
	}
	id := q.pending[0]
	q.pending = q.pending[1:]
	q.state[id] = running
	return id, true
}

// done marks the app's re-index finished, queueing it again if triggered meanwhile.
func (q *refreshQueue) done(id int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.state[id] == rerun && !q.closed {
		q.state[id] = queued
		q.pending = append(q.pending, id)
		q.cond.Signal()
		return
	}
	delete(q.state, id)
}

// len is the number of apps waiting.
func (q *refreshQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending)
}

func (q *refreshQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.cond.Broadcast()
}

// refreshWorker re-indexes the queued apps until the queue closes.
func (s *Server) refreshWorker(ctx context.Context) {
	for {
		id, ok := s.queue.pop()
		if !ok {
			return
		}
		added, _, err := s.reindex(ctx, id)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn("registry: refresh failed", "app", id, "err", err)
		case len(added) > 0:
			s.log.Info("registry: refresh found new versions", "app", id, "versions", len(added))
		}
		s.queue.done(id)
	}
}
