package datasys

import "net/http"

// route sends the request to the handler of what its path names.
func (q *request) route() error {
	m := q.r.Method
	switch {
	case q.t.special != "":
		return q.routeSpecial()
	case q.t.docID == "":
		switch m {
		case http.MethodGet, http.MethodHead:
			return q.dbInfo()
		case http.MethodPut:
			return q.createDB()
		case http.MethodPost:
			return q.postDoc()
		}
		return errMethod
	case q.t.att != "":
		return q.routeAttachment()
	}
	return q.routeDoc()
}

func (q *request) routeSpecial() error {
	m := q.r.Method
	post := m == http.MethodPost
	get := m == http.MethodGet || m == http.MethodHead
	switch q.t.special {
	case "_all_docs":
		if get || post {
			return q.allDocs()
		}
	case "_bulk_docs":
		if post {
			return q.bulkDocs()
		}
	case "_bulk_get":
		if post {
			return q.bulkGet()
		}
	case "_revs_diff":
		if post {
			return q.revsDiff()
		}
	case "_changes":
		if get || post {
			return q.changes()
		}
	case "_find":
		if post {
			return q.find()
		}
	case "_explain":
		if post {
			return q.explain()
		}
	case "_index":
		return q.routeIndex()
	case "_ensure_full_commit":
		if post {
			writeJSON(q.w, http.StatusCreated, map[string]any{"ok": true, "instance_start_time": "0"})
			return nil
		}
	default:
		return badRequest("Only reserved document ids may start with underscore.")
	}
	return errMethod
}
