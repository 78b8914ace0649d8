package mangoindex

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/go-kivik/kivik/v4/x/mango"
)

// Index is a Mango "json" index. Build it with NewIndex or ParseIndexRequest
// (also when loading a stored definition) so that the partial filter is
// parsed once.
type Index struct {
	DDoc          string // "_design/<id>"
	Name          string
	Fields        []Field
	PartialFilter json.RawMessage // partial_filter_selector; empty if none

	partial node
	segs    [][]string
}

// indexRequest is the body of POST /{db}/_index.
type indexRequest struct {
	Index       json.RawMessage `json:"index"`
	DDoc        *string         `json:"ddoc"`
	Name        *string         `json:"name"`
	Type        *string         `json:"type"`
	Partitioned *bool           `json:"partitioned"`
}

// ParseIndexRequest parses and validates the body of POST /{db}/_index
// ({"index": {...}, "ddoc": ..., "name": ..., "type": "json"}).
func ParseIndexRequest(body []byte) (Index, error) {
	obj, err := decodeObject(body, "invalid_index", "Index request must be a JSON object")
	if err != nil {
		return Index{}, err
	}
	if err := rejectUnknown(obj, "index", "ddoc", "name", "type", "partitioned"); err != nil {
		return Index{}, err
	}
	var req indexRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return Index{}, badRequest("invalid_index", "Invalid index request: %v", err)
	}
	if req.Type != nil && *req.Type != "json" {
		return Index{}, badRequest("invalid_index", "Invalid type for index: %s", *req.Type)
	}
	return NewIndex(deref(req.DDoc), deref(req.Name), req.Index)
}

// NewIndex validates an index definition (the "index" member of a POST
// /_index request: {"fields": ["a", {"b": "desc"}], "partial_filter_selector":
// {...}}) the way CouchDB does. An empty ddoc or name is generated from a
// hash of the definition; ddoc gets its "_design/" prefix when missing.
func NewIndex(ddoc, name string, def json.RawMessage) (Index, error) {
	if len(def) == 0 || string(def) == "null" {
		return Index{}, badRequest("missing_required_key", "Missing required key: index")
	}
	obj, err := decodeObject(def, "invalid_index", "JSON indexes must be an object, not: "+string(def))
	if err != nil {
		return Index{}, err
	}
	if err := rejectUnknown(obj, "fields", "partial_filter_selector", "selector"); err != nil {
		return Index{}, err
	}
	ix, err := indexFromObject(obj)
	if err != nil {
		return Index{}, err
	}
	hash := ix.hash()
	switch {
	case ddoc == "":
		ix.DDoc = "_design/" + hash
	case !strings.HasPrefix(ddoc, "_design/"):
		ix.DDoc = "_design/" + ddoc
	default:
		ix.DDoc = ddoc
	}
	ix.Name = name
	if name == "" {
		ix.Name = hash
	}
	return ix, nil
}

func indexFromObject(obj map[string]any) (Index, error) {
	rawFields, ok := obj["fields"]
	if !ok {
		return Index{}, badRequest("missing_required_key", "Missing required key: fields")
	}
	fields, err := parseSortSpec(rawFields)
	if err != nil {
		return Index{}, err
	}
	if len(fields) == 0 {
		return Index{}, badRequest("invalid_index", "Index fields must not be empty.")
	}
	ix := Index{Fields: fields}
	filter, ok := obj["partial_filter_selector"]
	if !ok {
		filter, ok = obj["selector"]
	}
	if m, isObj := filter.(map[string]any); ok && (!isObj || len(m) > 0) {
		raw, _ := json.Marshal(filter)
		if ix.partial, err = parseSelector(raw); err != nil {
			return Index{}, err
		}
		ix.PartialFilter = raw
	}
	ix.segs = fieldSegs(fields)
	return ix, nil
}

// hash names an index after its definition, as CouchDB does (not the same
// bytes as CouchDB's hash, which is of an Erlang term).
func (ix Index) hash() string {
	raw, _ := json.Marshal(ix.Definition())
	sum := sha1.Sum(append([]byte("json"), raw...))
	return hex.EncodeToString(sum[:])
}

// Definition returns the "def" member that GET /{db}/_index lists:
// {"fields": [{"a": "asc"}], "partial_filter_selector": {...}}.
func (ix Index) Definition() map[string]any {
	def := map[string]any{"fields": sortJSON(ix.Fields)}
	if len(ix.PartialFilter) > 0 {
		var sel any
		if err := json.Unmarshal(ix.PartialFilter, &sel); err == nil {
			def["partial_filter_selector"] = sel
		}
	}
	return def
}

// Key returns the encoded key of doc in this index. ok is false when the
// index skips doc: a design document, a missing field (CouchDB json indexes
// only hold documents that have every field) or a partial filter mismatch.
func (ix Index) Key(doc map[string]any) (key []byte, ok bool) {
	if id, _ := doc["_id"].(string); strings.HasPrefix(id, "_design/") {
		return nil, false
	}
	segs := ix.segs
	if segs == nil {
		segs = fieldSegs(ix.Fields)
	}
	vals := make([]any, len(segs))
	for i, s := range segs {
		v, found := lookup(doc, s)
		if !found {
			return nil, false
		}
		vals[i] = v
	}
	if p := ix.partialNode(); p != nil && !p.match(doc) {
		return nil, false
	}
	return EncodeKey(vals...), true
}

// partialNode returns the parsed partial filter, parsing it when ix was
// built by hand.
func (ix Index) partialNode() node {
	if ix.partial != nil || len(ix.PartialFilter) == 0 {
		return ix.partial
	}
	n, err := parseSelector(ix.PartialFilter)
	if err != nil {
		return noneNode{} // an invalid filter matches nothing
	}
	return n
}

func fieldSegs(fields []Field) [][]string {
	out := make([][]string, len(fields))
	for i, f := range fields {
		out[i] = mango.SplitKeys(f.Name)
	}
	return out
}

func decodeObject(raw []byte, name, reason string) (map[string]any, error) {
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, badRequest(name, "%s", reason)
	}
	return obj, nil
}

func rejectUnknown(obj map[string]any, known ...string) error {
	for k := range obj {
		if !contains(known, k) {
			return badRequest("invalid_key", "Invalid key %s for this request.", k)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
