package datasys

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	kivik "github.com/go-kivik/kivik/v4"
	"github.com/go-kivik/kivik/v4/couchdb"
)

func (q *request) bulkDocs() error {
	var body struct {
		Docs     []json.RawMessage `json:"docs"`
		NewEdits *bool             `json:"new_edits"`
	}
	if err := q.readJSON(maxBulkBody, &body); err != nil {
		return err
	}
	if body.Docs == nil {
		return badRequest("POST body must include `docs` parameter.")
	}
	newEdits := body.NewEdits == nil || *body.NewEdits
	if v := q.r.URL.Query().Get("new_edits"); v == "false" {
		newEdits = false
	}
	docs := make([]map[string]any, 0, len(body.Docs))
	args := make([]any, 0, len(body.Docs))
	for _, raw := range body.Docs {
		if int64(len(raw)) > q.maxDocSize() {
			return errTooLarge
		}
		var doc map[string]any
		if err := decodeJSON(raw, &doc); err != nil || doc == nil {
			return errNotObject
		}
		if err := checkDoc(doc); err != nil {
			return err
		}
		if _, hasRev := doc["_rev"]; !newEdits && !hasRev {
			return badRequest("new_edits=false needs every document's _rev")
		}
		docs, args = append(docs, doc), append(args, doc)
	}
	db, _, err := q.openDB(true)
	if err != nil {
		return err
	}
	results, err := db.BulkDocs(q.r.Context(), args, kivik.Param("new_edits", newEdits))
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(results))
	failed := map[string]bool{}
	for i, r := range results {
		if r.Error != nil {
			e := toError(q.r.Context(), q.s.Log, r.Error)
			out = append(out, map[string]any{"id": r.ID, "error": e.Kind, "reason": e.Reason})
			failed[r.ID] = true
			continue
		}
		if newEdits {
			out = append(out, map[string]any{"ok": true, "id": r.ID, "rev": r.Rev})
			if doc := docOf(docs, i, r.ID); doc != nil {
				doc["_id"], doc["_rev"] = r.ID, r.Rev
				q.publish(r.ID, r.Rev, doc)
			}
		}
	}
	if !newEdits {
		// Replicated revisions: backends answer only the failures, so every other document
		// was stored as given.
		for _, doc := range docs {
			id, _ := doc["_id"].(string)
			rev, _ := doc["_rev"].(string)
			if id != "" && !failed[id] {
				q.publish(id, rev, doc)
			}
		}
	}
	writeJSON(q.w, http.StatusCreated, out)
	return nil
}

func (q *request) bulkGet() error {
	var body struct {
		Docs []kivik.BulkGetReference `json:"docs"`
	}
	if err := q.readJSON(maxBulkBody, &body); err != nil {
		return err
	}
	if body.Docs == nil {
		return badRequest("POST body must include `docs` parameter.")
	}
	for _, d := range body.Docs {
		if err := checkDocID(d.ID); err != nil {
			return err
		}
	}
	results := make([]map[string]any, 0, len(body.Docs))
	db, ok, err := q.openDB(false)
	if err != nil {
		return err
	}
	if !ok {
		for _, d := range body.Docs {
			results = append(results, bulkGetError(d.ID, d.Rev, "not_found", "missing"))
		}
		writeJSON(q.w, http.StatusOK, map[string]any{"results": results})
		return nil
	}
	opts, err := params(q.r.URL.Query(), "revs", "attachments", "latest", "att_encoding_info")
	if err != nil {
		return err
	}
	rs := db.BulkGet(q.r.Context(), body.Docs, opts, couchdb.OptionNoMultipartGet())
	defer rs.Close()
	for rs.Next() {
		id, _ := rs.ID()
		var doc json.RawMessage
		var entry map[string]any
		if err := rs.ScanDoc(&doc); err != nil {
			rev, _ := rs.Rev()
			e := &Error{Kind: "not_found", Reason: "missing"}
			if !errors.Is(err, io.EOF) { // some servers answer an empty entry for a missing doc
				e = toError(q.r.Context(), q.s.Log, err)
			}
			entry = map[string]any{"error": map[string]any{"id": id, "rev": rev, "error": e.Kind, "reason": e.Reason}}
		} else {
			entry = map[string]any{"ok": doc}
		}
		if n := len(results); n > 0 && results[n-1]["id"] == id {
			results[n-1]["docs"] = append(results[n-1]["docs"].([]map[string]any), entry)
			continue
		}
		results = append(results, map[string]any{"id": id, "docs": []map[string]any{entry}})
	}
	if err := rs.Err(); err != nil {
		return err
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"results": results})
	return nil
}

func bulkGetError(id, rev, kind, reason string) map[string]any {
	return map[string]any{"id": id, "docs": []map[string]any{{
		"error": map[string]any{"id": id, "rev": rev, "error": kind, "reason": reason},
	}}}
}

func (q *request) revsDiff() error {
	var body map[string][]string
	if err := q.readJSON(maxBulkBody, &body); err != nil {
		return err
	}
	out := map[string]any{}
	db, ok, err := q.openDB(false)
	if err != nil {
		return err
	}
	if !ok {
		for id, revs := range body {
			out[id] = map[string]any{"missing": revs}
		}
		writeJSON(q.w, http.StatusOK, out)
		return nil
	}
	rs := db.RevsDiff(q.r.Context(), body)
	defer rs.Close()
	for rs.Next() {
		id, err := rs.ID()
		if err != nil {
			return err
		}
		var diff json.RawMessage
		if err := rs.ScanValue(&diff); err != nil {
			return err
		}
		out[id] = diff
	}
	if err := rs.Err(); err != nil {
		return err
	}
	writeJSON(q.w, http.StatusOK, out)
	return nil
}

// docOf finds the document a bulk result is about: at the same position when it matches, else
// by id (some servers answer out of order).
func docOf(docs []map[string]any, i int, id string) map[string]any {
	if i < len(docs) {
		if own, ok := docs[i]["_id"]; !ok || own == id {
			return docs[i]
		}
	}
	for _, d := range docs {
		if d["_id"] == id {
			return d
		}
	}
	return nil
}
