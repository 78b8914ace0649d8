package datasys

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	kivik "github.com/go-kivik/kivik/v4"
)

func (q *request) changes() error {
	f, err := q.parseFeed()
	if err != nil {
		return err
	}
	// A feed that waits must have a database to wait on.
	db, ok, err := q.openDB(f.feed != "normal")
	if err != nil {
		return err
	}
	if !ok {
		writeJSON(q.w, http.StatusOK, map[string]any{"results": []any{}, "last_seq": 0, "pending": 0})
		return nil
	}
	if f.feed == "continuous" {
		return q.continuous(db, f)
	}
	return q.batchFeed(db, f)
}

// batchFeed answers feed=normal and feed=longpoll with one JSON object. A longpoll whose changes
// the selector all leaves out waits again, until the timeout.
func (q *request) batchFeed(db *kivik.DB, f *feedRequest) error {
	results := make([]json.RawMessage, 0)
	var lastSeq string
	var pending int64
	deadline := time.Now().Add(feedTimeout(f))
	ctx := q.r.Context()
	if f.feed == "longpoll" {
		// Hearth keeps the timeout itself: not every backend does (pouchdb-server).
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	for {
		ch := db.Changes(ctx, kivik.Params(f.opts))
		for ch.Next() {
			lastSeq = ch.Seq()
			if f.limit > 0 && len(results) >= f.limit {
				break
			}
			if row := f.changeRow(ch); row != nil {
				results = append(results, row)
			}
		}
		err := ch.Err()
		if md, mdErr := ch.Metadata(); mdErr == nil && md != nil && (f.limit == 0 || len(results) < f.limit) {
			lastSeq, pending = md.LastSeq, md.Pending
		}
		_ = ch.Close()
		if err != nil && ctx.Err() != nil && (f.feed == "longpoll" || q.r.Context().Err() == nil) {
			// The longpoll timed out, or its request ended (the token expired or was revoked,
			// or the client left): answer with what we have, as at a timeout.
			if lastSeq == "" {
				lastSeq = q.sinceOrCurrent(db, f)
			}
			break
		}
		if err != nil {
			return err
		}
		if f.feed != "longpoll" || len(results) > 0 || f.selector == nil || ctx.Err() != nil || time.Now().After(deadline) {
			break
		}
		f.opts["since"] = lastSeq
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"results": results, "last_seq": seqValue(lastSeq), "pending": pending})
	return nil
}

// sinceOrCurrent is the sequence a feed that saw nothing reports: its since, or the current one.
func (q *request) sinceOrCurrent(db *kivik.DB, f *feedRequest) string {
	if since, ok := f.opts["since"].(string); ok && since != "now" {
		return since
	}
	// Detached: a feed whose request ended (its token did) still answers with a sequence.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(q.r.Context()), 10*time.Second)
	defer cancel()
	st, err := db.Stats(ctx)
	if err != nil {
		return "0"
	}
	return st.UpdateSeq
}

func feedTimeout(f *feedRequest) time.Duration {
	if ms, ok := f.opts["timeout"].(int); ok {
		return time.Duration(ms) * time.Millisecond
	}
	return time.Minute
}

// feedLine is one line of a continuous feed, or its end.
type feedLine struct {
	row     json.RawMessage
	seq     string
	lastSeq string
	err     error
	done    bool
}

// continuous streams one change per line, a newline every heartbeat while idle, and the last
// sequence when the backend's feed ends.
func (q *request) continuous(db *kivik.DB, f *feedRequest) error {
	ctx := q.r.Context()
	lines := make(chan feedLine, 64)
	go func() {
		defer close(lines)
		ch := db.Changes(ctx, kivik.Params(f.opts))
		defer ch.Close()
		sent, last := 0, ""
		for ch.Next() {
			last = ch.Seq()
			if row := f.changeRow(ch); row != nil {
				select {
				case lines <- feedLine{row: row, seq: ch.Seq()}:
				case <-ctx.Done():
					return
				}
				if sent++; f.limit > 0 && sent >= f.limit {
					break
				}
			}
		}
		if md, err := ch.Metadata(); err == nil && md != nil && md.LastSeq != "" && (f.limit == 0 || sent < f.limit) {
			last = md.LastSeq
		}
		select {
		case lines <- feedLine{done: true, lastSeq: last, err: ch.Err()}:
		case <-ctx.Done():
		}
	}()
	q.w.Header().Set("Content-Type", "application/json")
	q.w.WriteHeader(http.StatusOK)
	flusher, _ := q.w.(http.Flusher)
	flush := func() {
		if flusher != nil {
			flusher.Flush()
		}
	}
	flush()
	// Without a heartbeat the feed ends after timeout ms with no change, as CouchDB's does;
	// Hearth keeps that timer itself since not every backend does.
	var idle *time.Timer
	var idleC <-chan time.Time
	if f.heartbeat == 0 {
		idle = time.NewTimer(feedTimeout(f))
		defer idle.Stop()
		idleC = idle.C
	}
	lastSent := ""
	var tick <-chan time.Time
	if f.heartbeat > 0 {
		t := time.NewTicker(f.heartbeat)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-idleC:
			if lastSent == "" {
				lastSent = q.sinceOrCurrent(db, f)
			}
			_, _ = q.w.Write(append(mustJSON(map[string]any{"last_seq": seqValue(lastSent), "pending": 0}), '\n'))
			flush()
			return nil
		case <-tick:
			if _, err := q.w.Write([]byte("\n")); err != nil {
				return nil
			}
			flush()
		case l, ok := <-lines:
			if !ok {
				return nil
			}
			if l.done {
				if l.err != nil && ctx.Err() == nil {
					q.s.Log.Warn("datasys: continuous feed ended", "err", l.err)
				}
				_, _ = q.w.Write(append(mustJSON(map[string]any{"last_seq": seqValue(l.lastSeq), "pending": 0}), '\n'))
				flush()
				return nil
			}
			if _, err := q.w.Write(append(l.row, '\n')); err != nil {
				return nil
			}
			flush()
			lastSent = l.seq
			if idle != nil {
				idle.Reset(feedTimeout(f))
			}
		}
	}
}
