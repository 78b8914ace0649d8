package datasys

import (
	"bytes"
	"io"
	"net/http"
	"strconv"

	kivik "github.com/go-kivik/kivik/v4"
)

func (q *request) routeAttachment() error {
	if err := checkDocID(q.t.docID); err != nil {
		return err
	}
	if err := checkAttName(q.t.att); err != nil {
		return err
	}
	switch q.r.Method {
	case http.MethodGet, http.MethodHead:
		return q.getAttachment()
	case http.MethodPut:
		return q.putAttachment()
	case http.MethodDelete:
		return q.deleteAttachment()
	}
	return errMethod
}

func (q *request) getAttachment() error {
	db, err := q.existingDB()
	if err != nil {
		return err
	}
	opts, err := params(q.r.URL.Query(), "rev")
	if err != nil {
		return err
	}
	var att *kivik.Attachment
	if q.r.Method == http.MethodHead {
		att, err = db.GetAttachmentMeta(q.r.Context(), q.t.docID, q.t.att, opts)
	} else {
		att, err = db.GetAttachment(q.r.Context(), q.t.docID, q.t.att, opts)
	}
	if err != nil {
		return err
	}
	if att.Content != nil {
		defer att.Content.Close()
	}
	h := q.w.Header()
	h.Set("Content-Type", att.ContentType)
	if att.Digest != "" {
		h.Set("ETag", `"`+att.Digest+`"`)
	}
	if att.Size > 0 {
		h.Set("Content-Length", strconv.FormatInt(att.Size, 10))
	}
	h.Set("Accept-Ranges", "none")
	q.w.WriteHeader(http.StatusOK)
	if q.r.Method == http.MethodGet && att.Content != nil {
		_, _ = io.Copy(q.w, att.Content)
	}
	return nil
}

func (q *request) putAttachment() error {
	ct := q.r.Header.Get("Content-Type")
	if ct == "" {
		ct = "application/octet-stream"
	}
	body, err := io.ReadAll(http.MaxBytesReader(q.w, q.r.Body, q.maxDocSize()))
	if err != nil {
		return errTooLarge
	}
	db, _, err := q.openDB(true)
	if err != nil {
		return err
	}
	var opts []kivik.Option
	if rev := q.revParam(); rev != "" {
		if !validRev(rev) {
			return badRequest("Invalid rev format")
		}
		opts = append(opts, kivik.Rev(rev))
	}
	att := &kivik.Attachment{Filename: q.t.att, ContentType: ct, Content: io.NopCloser(bytes.NewReader(body))}
	rev, err := db.PutAttachment(q.r.Context(), q.t.docID, att, opts...)
	if err != nil {
		return err
	}
	q.publishCurrent(db, q.t.docID, rev)
	q.w.Header().Set("ETag", `"`+rev+`"`)
	writeJSON(q.w, http.StatusCreated, map[string]any{"ok": true, "id": q.t.docID, "rev": rev})
	return nil
}

func (q *request) deleteAttachment() error {
	rev := q.revParam()
	if rev == "" || !validRev(rev) {
		return errorf(http.StatusConflict, "conflict", "Document update conflict.")
	}
	db, err := q.existingDB()
	if err != nil {
		return err
	}
	newRev, err := db.DeleteAttachment(q.r.Context(), q.t.docID, rev, q.t.att)
	if err != nil {
		return err
	}
	q.publishCurrent(db, q.t.docID, newRev)
	writeJSON(q.w, http.StatusOK, map[string]any{"ok": true, "id": q.t.docID, "rev": newRev})
	return nil
}
