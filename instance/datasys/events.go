package datasys

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	kivik "github.com/go-kivik/kivik/v4"

	"github.com/hearth-cloud/hearth/instance/realtime"
)

// listened tells whether an event of the caller's instance could reach anyone.
func (q *request) listened() bool {
	if q.s.Events == nil {
		return false
	}
	l, ok := q.s.Events.(listener)
	return !ok || l.Listening(q.caller.Instance)
}

// publish announces a written revision. Local documents are private to their writer (replication
// checkpoints) and announce nothing.
func (q *request) publish(id, rev string, doc map[string]any) {
	if strings.HasPrefix(id, "_local/") {
		return
	}
	q.written()
	if !q.listened() {
		return
	}
	verb := realtime.VerbUpdated
	switch {
	case doc["_deleted"] == true:
		verb = realtime.VerbDeleted
	case strings.HasPrefix(rev, "1-"):
		verb = realtime.VerbCreated
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return
	}
	ev := realtime.Event{Doctype: q.t.doctype, ID: id, Rev: rev, Verb: verb, Doc: body}
	// The write is durable already: a slow hub must not hold the client, nor a canceled
	// client drop the event.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(q.r.Context()), 5*time.Second)
	defer cancel()
	if err := q.s.Events.Publish(ctx, q.caller.Instance, ev); err != nil {
		q.s.Log.Warn("datasys: publish event", "doctype", q.t.doctype, "id", id, "err", err)
	}
}

// written tells Service.Written of a write of the request's doctype.
func (q *request) written() {
	if q.s.Written != nil {
		q.s.Written(q.caller.Instance, q.t.doctype)
	}
}

// publishCurrent announces a revision written without a body at hand (attachments).
func (q *request) publishCurrent(db *kivik.DB, id, rev string) {
	if !q.listened() {
		if !strings.HasPrefix(id, "_local/") {
			q.written()
		}
		return
	}
	var doc map[string]any
	if err := db.Get(q.r.Context(), id, kivik.Rev(rev)).ScanDoc(&doc); err != nil {
		doc = map[string]any{"_id": id, "_rev": rev}
	}
	q.publish(id, rev, doc)
}
