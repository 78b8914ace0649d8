package datasys

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	kivik "github.com/go-kivik/kivik/v4"
)

// maxBulkBody bounds the body of _bulk_docs, _bulk_get, _revs_diff, _all_docs and _find.
const maxBulkBody = 256 << 20

// seqValue renders a sequence as CouchDB clients expect it back: a number when the backend's
// sequences are integers, else the opaque string.
func seqValue(seq string) any {
	if seq == "" {
		return 0
	}
	if n, err := strconv.ParseInt(seq, 10, 64); err == nil {
		return n
	}
	return seq
}

func (q *request) dbInfo() error {
	info := map[string]any{
		"db_name": q.t.doctype, "doc_count": 0, "doc_del_count": 0, "update_seq": 0,
		"purge_seq": 0, "compact_running": false, "instance_start_time": "0",
		"disk_format_version": 8, "sizes": map[string]int64{"file": 0, "active": 0, "external": 0},
		"props": map[string]any{},
	}
	db, ok, err := q.openDB(false)
	if err != nil {
		return err
	}
	if ok {
		st, err := db.Stats(q.r.Context())
		if err != nil {
			return err
		}
		info["doc_count"], info["doc_del_count"] = st.DocCount, st.DeletedCount
		info["update_seq"] = seqValue(st.UpdateSeq)
		info["sizes"] = map[string]int64{"file": st.DiskSize, "active": st.ActiveSize, "external": st.ExternalSize}
	}
	writeJSON(q.w, http.StatusOK, info)
	return nil
}

func (q *request) createDB() error {
	_, ok, err := q.openDB(false)
	if err != nil {
		return err
	}
	if ok {
		return errorf(http.StatusPreconditionFailed, "file_exists", "The database could not be created, the file already exists.")
	}
	if _, _, err := q.openDB(true); err != nil {
		return err
	}
	writeJSON(q.w, http.StatusCreated, map[string]any{"ok": true})
	return nil
}

var allDocsParams = []string{
	"include_docs", "startkey", "endkey", "start_key", "end_key", "key", "keys", "limit", "skip",
	"descending", "inclusive_end", "conflicts", "update_seq", "startkey_docid", "endkey_docid",
	"attachments", "att_encoding_info",
}

func (q *request) allDocs() error {
	opts, err := paramMap(q.r.URL.Query(), allDocsParams...)
	if err != nil {
		return err
	}
	if q.r.Method == http.MethodPost {
		var body map[string]any
		if err := q.readJSON(maxBulkBody, &body); err != nil {
			return err
		}
		if keys, ok := body["keys"]; ok {
			if _, isList := keys.([]any); !isList {
				return badRequest("`keys` body member must be an array.")
			}
			opts["keys"] = keys
		}
	}
	db, ok, err := q.openDB(false)
	if err != nil {
		return err
	}
	if !ok {
		writeJSON(q.w, http.StatusOK, map[string]any{"total_rows": 0, "offset": 0, "rows": []any{}})
		return nil
	}
	return q.writeRows(db.AllDocs(q.r.Context(), kivik.Params(opts)), q.boolParam("update_seq"))
}

// writeRows streams an _all_docs result, leaving out design documents.
func (q *request) writeRows(rs *kivik.ResultSet, withSeq bool) error {
	defer rs.Close()
	rows := make([]json.RawMessage, 0)
	for rs.Next() {
		id, rowErr := rs.ID()
		if strings.HasPrefix(id, "_design/") {
			continue
		}
		var key json.RawMessage
		_ = rs.ScanKey(&key)
		if rowErr != nil || id == "" {
			kind := "not_found"
			if rowErr != nil && kivik.HTTPStatus(rowErr) != http.StatusNotFound {
				kind = rowErr.Error()
			}
			rows = append(rows, mustJSON(map[string]any{"key": key, "error": kind}))
			continue
		}
		row := map[string]any{"id": id, "key": key}
		var value, doc json.RawMessage
		if err := rs.ScanValue(&value); err == nil && value != nil {
			row["value"] = value
		}
		if err := rs.ScanDoc(&doc); err == nil {
			row["doc"] = doc
		}
		rows = append(rows, mustJSON(row))
	}
	if err := rs.Err(); err != nil {
		return err
	}
	out := map[string]any{"rows": rows, "total_rows": 0, "offset": 0}
	if md, err := rs.Metadata(); err == nil && md != nil {
		out["total_rows"], out["offset"] = md.TotalRows, md.Offset
		if withSeq {
			out["update_seq"] = seqValue(md.UpdateSeq)
		}
	}
	writeJSON(q.w, http.StatusOK, out)
	return nil
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`null`)
	}
	return b
}
