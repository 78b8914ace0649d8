package embedded

import (
	"context"
	"sort"
)

// maxEvents bounds the committed changes a database keeps in memory for its live feeds.
const maxEvents = 256

// changeEvent is one committed change: live feeds that are caught up read these instead of
// querying, so that they see every revision, as CouchDB's feeds do for a prompt reader.
type changeEvent struct {
	seq    int64
	id     string
	leaves []revNode // best first; leaves[0] is the winner
}

func newChangeEvent(seq int64, id string, leaves []*revNode) changeEvent {
	e := changeEvent{seq: seq, id: id, leaves: make([]revNode, len(leaves))}
	for i, l := range leaves {
		e.leaves[i] = revNode{Rev: l.Rev, Deleted: l.Deleted}
	}
	return e
}

// docRow returns the change as the row a query would have read, with a tree of its leaves.
func (e changeEvent) docRow() docRow {
	tree := make(revTree, len(e.leaves))
	for i := range e.leaves {
		tree[e.leaves[i].Rev] = &e.leaves[i]
	}
	win := e.leaves[0]
	return docRow{Seq: e.seq, Deleted: win.Deleted, Rev: win.Rev, Tree: tree}
}

// publish records a commit up to seq with its changes and wakes the feeds.
func (h *handle) publish(seq int64, events []changeEvent) {
	h.notify.Lock()
	defer h.notify.Unlock()
	if seq == h.pubSeq {
		return
	}
	h.events = append(h.events, events...)
	if n := len(h.events) - maxEvents; n > 0 {
		h.eventsFrom = h.events[n-1].seq + 1
		h.events = append(h.events[:0:0], h.events[n:]...)
	}
	h.pubSeq = seq
	close(h.wake)
	h.wake = make(chan struct{})
}

// eventsAfter returns the committed changes after seq; ok is false when some are no longer
// kept in memory.
func (h *handle) eventsAfter(seq int64) (events []changeEvent, ok bool) {
	h.notify.Lock()
	defer h.notify.Unlock()
	if seq+1 < h.eventsFrom {
		return nil, false
	}
	i := sort.Search(len(h.events), func(i int) bool { return h.events[i].seq > seq })
	return append([]changeEvent(nil), h.events[i:]...), true
}

// catchUp buffers the changes committed after f.scanned, from memory when they are all
// there, else it lets the next round query them.
func (f *changesFeed) catchUp(ctx context.Context, h *handle) error {
	events, ok := h.eventsAfter(f.scanned)
	if !ok {
		f.caughtUp = false
		return nil
	}
	ids := make([]string, len(events))
	docs := make([]docRow, len(events))
	for i, e := range events {
		ids[i], docs[i] = e.id, e.docRow()
	}
	return f.buffer(ctx, h, ids, docs)
}
