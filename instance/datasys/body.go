package datasys

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxIDLen bounds document ids and attachment names, in bytes.
const maxIDLen = 1024

// specialFields are the top-level "_" members a document may carry when written.
var specialFields = map[string]bool{
	"_id": true, "_rev": true, "_deleted": true, "_attachments": true, "_revisions": true,
	"_conflicts": true, "_deleted_conflicts": true, "_local_seq": true, "_revs_info": true,
}

// readJSON decodes a request body of at most limit bytes, keeping numbers exact.
func (q *request) readJSON(limit int64, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(q.w, q.r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge
		}
		return badRequest("could not read the request body")
	}
	return decodeJSON(body, v)
}

func decodeJSON(body []byte, v any) error {
	if !utf8.Valid(body) {
		return errBadJSON
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return badRequest("invalid JSON: %s", jsonProblem(err))
	}
	if dec.More() {
		return badRequest("invalid JSON: trailing data after the value")
	}
	return nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Error() + " at offset " + strconv.FormatInt(se.Offset, 10)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "expected " + te.Type.String() + ", got " + te.Value
	}
	if errors.Is(err, io.EOF) {
		return "empty body"
	}
	return "malformed"
}

// readDoc reads a document body: a JSON object within the size limit.
func (q *request) readDoc() (map[string]any, error) {
	var v any
	if err := q.readJSON(q.maxDocSize(), &v); err != nil {
		return nil, err
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, errNotObject
	}
	return doc, checkDoc(doc)
}

// checkDoc refuses what CouchDB refuses in a document's special members.
func checkDoc(doc map[string]any) error {
	for k := range doc {
		if strings.HasPrefix(k, "_") && !specialFields[k] {
			return errorf(http.StatusBadRequest, "doc_validation", "Bad special document member: %s", k)
		}
	}
	if id, ok := doc["_id"]; ok {
		s, isStr := id.(string)
		if !isStr {
			return errorf(http.StatusBadRequest, "illegal_docid", "Document id must be a string")
		}
		if err := checkDocID(s); err != nil {
			return err
		}
	}
	if rev, ok := doc["_rev"]; ok {
		if s, isStr := rev.(string); !isStr || !validRev(s) {
			return badRequest("Invalid rev format")
		}
	}
	if att, ok := doc["_attachments"]; ok {
		m, isObj := att.(map[string]any)
		if !isObj {
			return errorf(http.StatusBadRequest, "doc_validation", "_attachments must be an object")
		}
		for name, a := range m {
			if err := checkAttName(name); err != nil {
				return err
			}
			if _, isObj := a.(map[string]any); !isObj {
				return errorf(http.StatusBadRequest, "doc_validation", "attachment %q must be an object", name)
			}
		}
	}
	return nil
}

// validRev accepts "N-hash" with a positive generation, and local documents' "0-N".
func validRev(rev string) bool {
	gen, hash, ok := strings.Cut(rev, "-")
	n, err := strconv.Atoi(gen)
	return ok && err == nil && n >= 0 && hash != "" && len(rev) < 300
}

func checkDocID(id string) error {
	switch {
	case id == "":
		return errorf(http.StatusBadRequest, "illegal_docid", "Document id must not be empty")
	case len(id) > maxIDLen:
		return errorf(http.StatusBadRequest, "illegal_docid", "Document id is longer than %d bytes", maxIDLen)
	case !utf8.ValidString(id) || strings.ContainsRune(id, 0):
		return errorf(http.StatusBadRequest, "illegal_docid", "Document id must be valid UTF-8 without NUL")
	case strings.HasPrefix(id, "_design/"):
		return errDesignDoc
	case strings.HasPrefix(id, "_local/"):
		if len(id) == len("_local/") {
			return errorf(http.StatusBadRequest, "illegal_docid", "Local document id must not be empty")
		}
		return nil
	case strings.HasPrefix(id, "_"):
		return errorf(http.StatusBadRequest, "illegal_docid", "Only reserved document ids may start with underscore.")
	}
	return nil
}

func checkAttName(name string) error {
	switch {
	case name == "":
		return badRequest("Attachment name must not be empty")
	case len(name) > maxIDLen:
		return badRequest("Attachment name is longer than %d bytes", maxIDLen)
	case !utf8.ValidString(name) || strings.ContainsRune(name, 0):
		return badRequest("Attachment name must be valid UTF-8 without NUL")
	case strings.HasPrefix(name, "_"):
		return badRequest("Attachment name can't start with '_'")
	}
	return nil
}

// revParam is the revision a write names: ?rev=, else If-Match.
func (q *request) revParam() string {
	if rev := q.r.URL.Query().Get("rev"); rev != "" {
		return rev
	}
	return strings.Trim(q.r.Header.Get("If-Match"), `"`)
}

// boolParam reads a CouchDB boolean query parameter.
func (q *request) boolParam(name string) bool {
	return q.r.URL.Query().Get(name) == "true"
}
