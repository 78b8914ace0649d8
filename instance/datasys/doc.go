package datasys

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"sort"
	"strings"

	kivik "github.com/go-kivik/kivik/v4"
	"github.com/go-kivik/kivik/v4/couchdb"
)

var docGetParams = []string{
	"rev", "revs", "revs_info", "conflicts", "deleted_conflicts", "attachments",
	"att_encoding_info", "atts_since", "latest", "local_seq", "meta",
}

func (q *request) routeDoc() error {
	if err := checkDocID(q.t.docID); err != nil {
		return err
	}
	switch q.r.Method {
	case http.MethodGet:
		if q.r.URL.Query().Has("open_revs") {
			return q.openRevs()
		}
		return q.getDoc()
	case http.MethodHead:
		return q.headDoc()
	case http.MethodPut:
		return q.putDoc()
	case http.MethodDelete:
		return q.deleteDoc()
	}
	return errMethod
}

func (q *request) getDoc() error {
	db, err := q.existingDB()
	if err != nil {
		return err
	}
	opts, err := params(q.r.URL.Query(), docGetParams...)
	if err != nil {
		return err
	}
	var doc json.RawMessage
	row := db.Get(q.r.Context(), q.t.docID, opts, couchdb.OptionNoMultipartGet())
	if err := row.ScanDoc(&doc); err != nil {
		return err
	}
	rev, _ := row.Rev()
	if rev != "" {
		q.w.Header().Set("ETag", `"`+rev+`"`)
	}
	writeRaw(q.w, http.StatusOK, doc)
	return nil
}

func (q *request) headDoc() error {
	db, err := q.existingDB()
	if err != nil {
		return err
	}
	opts, err := params(q.r.URL.Query(), "rev")
	if err != nil {
		return err
	}
	rev, err := db.GetRev(q.r.Context(), q.t.docID, opts)
	if err != nil {
		return err
	}
	q.w.Header().Set("ETag", `"`+rev+`"`)
	q.w.Header().Set("Content-Type", "application/json")
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (q *request) putDoc() error {
	doc, err := q.readDoc()
	if err != nil {
		return err
	}
	doc["_id"] = q.t.docID
	if _, has := doc["_rev"]; !has {
		if rev := q.revParam(); rev != "" {
			if !validRev(rev) {
				return badRequest("Invalid rev format")
			}
			doc["_rev"] = rev
		}
	}
	if v := q.r.URL.Query().Get("new_edits"); v == "false" {
		return q.replicateOne(doc)
	}
	return q.writeDoc(q.t.docID, doc)
}

// writeDoc stores doc under id and answers 201 with the new revision.
func (q *request) writeDoc(id string, doc map[string]any) error {
	db, _, err := q.openDB(true)
	if err != nil {
		return err
	}
	var rev string
	if id == "" {
		id, rev, err = db.CreateDoc(q.r.Context(), doc)
	} else {
		rev, err = db.Put(q.r.Context(), id, doc)
	}
	if err != nil {
		return err
	}
	doc["_id"], doc["_rev"] = id, rev
	q.publish(id, rev, doc)
	q.w.Header().Set("ETag", `"`+rev+`"`)
	writeJSON(q.w, http.StatusCreated, map[string]any{"ok": true, "id": id, "rev": rev})
	return nil
}

// replicateOne stores a revision as given (PUT ?new_edits=false), as replicators do.
func (q *request) replicateOne(doc map[string]any) error {
	if _, ok := doc["_rev"]; !ok {
		return badRequest("new_edits=false needs the document's _rev")
	}
	db, _, err := q.openDB(true)
	if err != nil {
		return err
	}
	res, err := db.BulkDocs(q.r.Context(), []any{doc}, kivik.Param("new_edits", false))
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.Error != nil {
			return r.Error
		}
	}
	rev, _ := doc["_rev"].(string)
	q.publish(q.t.docID, rev, doc)
	writeJSON(q.w, http.StatusCreated, map[string]any{"ok": true, "id": q.t.docID, "rev": rev})
	return nil
}

func (q *request) postDoc() error {
	doc, err := q.readDoc()
	if err != nil {
		return err
	}
	id, _ := doc["_id"].(string)
	return q.writeDoc(id, doc)
}

func (q *request) deleteDoc() error {
	rev := q.revParam()
	if rev == "" {
		return errorf(http.StatusConflict, "conflict", "Document update conflict.")
	}
	if !validRev(rev) {
		return badRequest("Invalid rev format")
	}
	db, err := q.existingDB()
	if err != nil {
		return err
	}
	newRev, err := db.Delete(q.r.Context(), q.t.docID, rev)
	if err != nil {
		return err
	}
	q.publish(q.t.docID, newRev, map[string]any{"_id": q.t.docID, "_rev": newRev, "_deleted": true})
	q.w.Header().Set("ETag", `"`+newRev+`"`)
	writeJSON(q.w, http.StatusOK, map[string]any{"ok": true, "id": q.t.docID, "rev": newRev})
	return nil
}

// openRevs answers GET ?open_revs=all|[...] with a JSON array of {"ok": doc} and {"missing": rev}.
func (q *request) openRevs() error {
	raw := q.r.URL.Query().Get("open_revs")
	db, err := q.existingDB()
	if err != nil {
		return err
	}
	var revs []string
	if raw == "all" {
		if revs, err = q.leafRevs(db); err != nil {
			return err
		}
	} else if err := json.Unmarshal([]byte(raw), &revs); err != nil || len(revs) == 0 {
		return badRequest("open_revs must be \"all\" or a JSON array of revisions")
	}
	query := q.r.URL.Query()
	query.Del("rev")
	opts, err := paramMap(query, "revs", "attachments", "att_encoding_info", "latest", "atts_since")
	if err != nil {
		return err
	}
	multi := wantsMultipart(q.r.Header.Get("Accept"))
	if _, asked := opts["attachments"]; multi && !asked {
		// Multipart clients (kivik's replicator) expect the bodies, as with attachments=true.
		opts["attachments"] = true
	}
	// One read per revision: the only form both backends answer alike.
	out := make([]map[string]any, 0, len(revs))
	for _, rev := range revs {
		opts["rev"] = rev
		var doc json.RawMessage
		err := db.Get(q.r.Context(), q.t.docID, kivik.Params(opts), couchdb.OptionNoMultipartGet()).ScanDoc(&doc)
		switch {
		case err == nil:
			out = append(out, map[string]any{"ok": doc})
		case kivik.HTTPStatus(err) == http.StatusNotFound:
			out = append(out, map[string]any{"missing": rev})
		default:
			return err
		}
	}
	if multi {
		return writeMultipartRevs(q.w, out)
	}
	writeJSON(q.w, http.StatusOK, out)
	return nil
}

// wantsMultipart reports whether an open_revs client asked for CouchDB's default
// multipart/mixed answer rather than a JSON array.
func wantsMultipart(accept string) bool {
	first, _, _ := strings.Cut(accept, ",")
	return strings.Contains(accept, "multipart/mixed") && !strings.Contains(first, "application/json")
}

// writeMultipartRevs answers open_revs as multipart/mixed: one part per revision, missing ones
// marked with error="true", and a revision with attachment bodies as a multipart/related part
// (the document, then each attachment), as CouchDB sends it.
func writeMultipartRevs(w http.ResponseWriter, revs []map[string]any) error {
	mw := multipart.NewWriter(w)
	w.Header().Set("Content-Type", `multipart/mixed; boundary="`+mw.Boundary()+`"`)
	w.WriteHeader(http.StatusOK)
	for _, r := range revs {
		doc, ok := r["ok"].(json.RawMessage)
		if !ok {
			part, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {`application/json; error="true"`}})
			if err != nil {
				return nil
			}
			_ = json.NewEncoder(part).Encode(r)
			continue
		}
		ct, body, err := revPart(doc)
		if err != nil {
			return nil // the status is sent: end the body early, the client sees it cut
		}
		part, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {ct}})
		if err != nil {
			return nil
		}
		if _, err := part.Write(body); err != nil {
			return nil
		}
	}
	_ = mw.Close()
	return nil
}

// revPart renders one revision: plain JSON, or multipart/related when it carries attachment data.
func revPart(doc json.RawMessage) (contentType string, body []byte, err error) {
	var m map[string]any
	if err := decodeJSON(doc, &m); err != nil {
		return "", nil, err
	}
	atts, _ := m["_attachments"].(map[string]any)
	var names []string
	data := map[string][]byte{}
	for name, a := range atts {
		am, _ := a.(map[string]any)
		enc, ok := am["data"].(string)
		if !ok {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return "", nil, err
		}
		delete(am, "data")
		delete(am, "stub")
		am["follows"], am["length"] = true, len(raw)
		names = append(names, name)
		data[name] = raw
	}
	if len(names) == 0 {
		return "application/json", doc, nil
	}
	sort.Strings(names)
	var buf bytes.Buffer
	rel := multipart.NewWriter(&buf)
	jp, _ := rel.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/json"}})
	if err := json.NewEncoder(jp).Encode(m); err != nil {
		return "", nil, err
	}
	for _, name := range names {
		am := atts[name].(map[string]any)
		ct, _ := am["content_type"].(string)
		h := textproto.MIMEHeader{"Content-Disposition": {mime.FormatMediaType("attachment", map[string]string{"filename": name})}}
		if ct != "" {
			h.Set("Content-Type", ct)
		}
		ap, _ := rel.CreatePart(h)
		_, _ = ap.Write(data[name])
	}
	_ = rel.Close()
	return `multipart/related; boundary="` + rel.Boundary() + `"`, buf.Bytes(), nil
}

// leafRevs lists the leaves of a document's revision tree, live or deleted, from the changes
// feed filtered on the document: the one place both backends report them for a deleted winner.
func (q *request) leafRevs(db *kivik.DB) ([]string, error) {
	ch := db.Changes(q.r.Context(), kivik.Params(map[string]any{
		"filter": "_doc_ids", "doc_ids": []string{q.t.docID}, "style": "all_docs",
	}))
	defer ch.Close()
	var revs []string
	for ch.Next() {
		if ch.ID() == q.t.docID {
			revs = ch.Changes()
		}
	}
	if err := ch.Err(); err != nil {
		return nil, err
	}
	if len(revs) == 0 {
		return nil, errMissing
	}
	return revs, nil
}
