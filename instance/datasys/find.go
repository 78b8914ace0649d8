package datasys

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	kivik "github.com/go-kivik/kivik/v4"
	"github.com/go-kivik/kivik/v4/x/mango"
)

func (q *request) routeIndex() error {
	switch q.r.Method {
	case http.MethodGet, http.MethodHead:
		if len(q.t.rest) == 0 {
			return q.listIndexes()
		}
	case http.MethodPost:
		if len(q.t.rest) == 0 {
			return q.createIndex()
		}
	case http.MethodDelete:
		return q.deleteIndex()
	}
	return errMethod
}

func (q *request) listIndexes() error {
	out := []kivik.Index{{Name: "_all_docs", Type: "special",
		Definition: map[string]any{"fields": []any{map[string]string{"_id": "asc"}}}}}
	db, ok, err := q.openDB(false)
	if err != nil {
		return err
	}
	if ok {
		list, err := db.GetIndexes(q.r.Context())
		if err != nil {
			return err
		}
		out = out[:0]
		out = append(out, list...)
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"total_rows": len(out), "indexes": out})
	return nil
}

func (q *request) createIndex() error {
	var body struct {
		Index map[string]any `json:"index"`
		DDoc  string         `json:"ddoc"`
		Name  string         `json:"name"`
		Type  string         `json:"type"`
		PFS   map[string]any `json:"partial_filter_selector"`
	}
	if err := q.readJSON(1<<20, &body); err != nil {
		return err
	}
	if body.Index == nil {
		return badRequest("Missing required key: index")
	}
	if body.Type != "" && body.Type != "json" {
		return badRequest("Only indexes of type json are supported.")
	}
	fields, ok := body.Index["fields"].([]any)
	if !ok || len(fields) == 0 {
		return badRequest("index.fields must be a non-empty array of field names or {field: direction}.")
	}
	if body.PFS != nil {
		body.Index["partial_filter_selector"] = body.PFS
	}
	if sel, ok := body.Index["partial_filter_selector"]; ok {
		if err := checkSelector(sel); err != nil {
			return err
		}
	}
	def, _ := json.Marshal(body.Index)
	sum := sha1.Sum(def)
	hash := hex.EncodeToString(sum[:])
	if body.DDoc == "" {
		body.DDoc = hash
	}
	body.DDoc = strings.TrimPrefix(body.DDoc, "_design/")
	if body.Name == "" {
		body.Name = hash
	}
	db, _, err := q.openDB(true)
	if err != nil {
		return err
	}
	result := "created"
	list, err := db.GetIndexes(q.r.Context())
	if err != nil {
		return err
	}
	for _, ix := range list {
		if ix.DesignDoc == "_design/"+body.DDoc && ix.Name == body.Name {
			result = "exists"
		}
	}
	if err := db.CreateIndex(q.r.Context(), body.DDoc, body.Name, body.Index); err != nil {
		return err
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"result": result, "id": "_design/" + body.DDoc, "name": body.Name})
	return nil
}

// deleteIndex answers DELETE _index/{ddoc}/json/{name}, the ddoc with or without "_design/".
func (q *request) deleteIndex() error {
	rest := q.t.rest
	if len(rest) > 0 && rest[0] == "_design" {
		rest = rest[1:]
	}
	if len(rest) != 3 || rest[1] != "json" {
		return badRequest("Use DELETE _index/{ddoc}/json/{name}.")
	}
	ddoc := "_design/" + strings.TrimPrefix(rest[0], "_design/")
	db, ok, err := q.openDB(false)
	if err != nil {
		return err
	}
	if !ok {
		return errorf(http.StatusNotFound, "not_found", "Index not found")
	}
	if err := db.DeleteIndex(q.r.Context(), ddoc, rest[2]); err != nil {
		return err
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"ok": true})
	return nil
}

func checkSelector(sel any) error {
	if _, ok := sel.(map[string]any); !ok {
		return badRequest("selector must be a JSON object")
	}
	raw, _ := json.Marshal(sel)
	if _, err := mango.Parse(raw); err != nil {
		return errorf(http.StatusBadRequest, "invalid_selector", "Invalid selector: %s", err.Error())
	}
	return nil
}

// readQuery reads and checks a _find or _explain body.
func (q *request) readQuery() (map[string]any, error) {
	var body map[string]any
	if err := q.readJSON(1<<20, &body); err != nil {
		return nil, err
	}
	sel, ok := body["selector"]
	if !ok {
		return nil, badRequest("Missing required key: selector")
	}
	if err := checkSelector(sel); err != nil {
		return nil, err
	}
	for _, k := range []string{"limit", "skip"} {
		if v, ok := body[k]; ok {
			n, isNum := v.(json.Number)
			if i, err := n.Int64(); !isNum || err != nil || i < 0 {
				return nil, badRequest("%s must be a non-negative integer", k)
			}
		}
	}
	return body, nil
}

func (q *request) find() error {
	body, err := q.readQuery()
	if err != nil {
		return err
	}
	db, ok, err := q.openDB(false)
	if err != nil {
		return err
	}
	docs := make([]json.RawMessage, 0)
	if !ok {
		writeJSON(q.w, http.StatusOK, map[string]any{"docs": docs, "bookmark": "nil"})
		return nil
	}
	skip, err := resumeFromBookmark(body)
	if err != nil {
		return err
	}
	rs := db.Find(q.r.Context(), body)
	defer rs.Close()
	for rs.Next() {
		var doc json.RawMessage
		if err := rs.ScanDoc(&doc); err != nil {
			return err
		}
		docs = append(docs, doc)
	}
	if err := rs.Err(); err != nil {
		return err
	}
	out := map[string]any{"docs": docs, "bookmark": skipBookmark(skip + len(docs))}
	if md, err := rs.Metadata(); err == nil && md != nil {
		if md.Bookmark != "" {
			out["bookmark"] = md.Bookmark
		}
		if md.Warning != "" {
			out["warning"] = md.Warning
		}
	}
	writeJSON(q.w, http.StatusOK, out)
	return nil
}

func (q *request) explain() error {
	body, err := q.readQuery()
	if err != nil {
		return err
	}
	db, _, err := q.openDB(true)
	if err != nil {
		return err
	}
	plan, err := db.Explain(q.r.Context(), body)
	if err != nil {
		return err
	}
	plan.DBName = q.t.doctype
	writeJSON(q.w, http.StatusOK, plan)
	return nil
}

// Backends that give no bookmark (pouchdb-server) get one from Hearth: the number of results
// already returned, as a skip.
const skipBookmarkPrefix = "hskip-"

func skipBookmark(n int) string { return skipBookmarkPrefix + strconv.Itoa(n) }

// resumeFromBookmark turns a skip bookmark into a skip, and returns the skip the query uses.
func resumeFromBookmark(body map[string]any) (int, error) {
	skip := 0
	if v, ok := body["skip"].(json.Number); ok {
		n, _ := v.Int64()
		skip = int(n)
	}
	bm, _ := body["bookmark"].(string)
	if !strings.HasPrefix(bm, skipBookmarkPrefix) {
		return skip, nil
	}
	n, err := strconv.Atoi(strings.TrimPrefix(bm, skipBookmarkPrefix))
	if err != nil || n < 0 {
		return 0, badRequest("Invalid bookmark value")
	}
	delete(body, "bookmark")
	body["skip"] = skip + n
	return skip + n, nil
}
