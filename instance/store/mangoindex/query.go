package mangoindex

import (
	"encoding/json"
	"strings"

	"github.com/go-kivik/kivik/v4/x/mango"
)

// DefaultLimit is CouchDB's default _find limit.
const DefaultLimit = 25

// Query is a parsed and validated _find or _explain request body.
type Query struct {
	Selector       json.RawMessage // as sent by the client
	Fields         []string        // projection; empty means whole documents
	Sort           []Field         // all in one direction
	Bookmark       string          // "" when absent or "nil"
	UseIndex       []string        // empty, [ddoc] or [ddoc, name]
	R              int             // read quorum (default 1; meaningless when embedded)
	Conflicts      bool
	ExecutionStats bool
	Update         bool // default true
	Stable         bool
	Stale          string // "" or "ok"
	Partition      string
	AllowFallback  bool // default true: an unusable use_index falls back to another index

	limit, skip int
	sel         node
}

// queryKeys are the members a _find body may have.
var queryKeys = []string{
	"selector", "limit", "skip", "sort", "fields", "use_index", "bookmark", "r", "conflicts",
	"execution_stats", "update", "stable", "stale", "partition", "allow_fallback",
}

// ParseQuery parses a _find / _explain body. Invalid selectors, unknown keys
// and ill-typed options give an *Error wrapping ErrBadRequest.
func ParseQuery(body []byte) (*Query, error) {
	obj := map[string]json.RawMessage{}
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, badRequest("bad_request", "Request body must be a JSON object")
	}
	for k := range obj {
		if !contains(queryKeys, k) {
			return nil, badRequest("invalid_key", "Invalid key %s for this request.", k)
		}
	}
	rawSel, ok := obj["selector"]
	if !ok {
		return nil, badRequest("missing_required_key", "Missing required key: selector")
	}
	q := &Query{Selector: rawSel, R: 1, Update: true, AllowFallback: true, limit: DefaultLimit}
	var err error
	if q.sel, err = parseSelector(rawSel); err != nil {
		return nil, err
	}
	for _, step := range []func(map[string]json.RawMessage) error{q.parseCounts, q.parseLists, q.parseFlags} {
		if err := step(obj); err != nil {
			return nil, err
		}
	}
	return q, nil
}

func (q *Query) parseCounts(obj map[string]json.RawMessage) error {
	if err := nonNegInt(obj, "limit", &q.limit); err != nil {
		return err
	}
	if err := nonNegInt(obj, "skip", &q.skip); err != nil {
		return err
	}
	if err := nonNegInt(obj, "r", &q.R); err != nil {
		return err
	}
	if _, ok := obj["r"]; ok && q.R == 0 {
		return badRequest("invalid_pos_integer", "0 is not an integer greater than zero")
	}
	return nil
}

func (q *Query) parseLists(obj map[string]json.RawMessage) error {
	if raw, ok := obj["sort"]; ok {
		var v any
		_ = json.Unmarshal(raw, &v)
		sort, err := parseSortSpec(v)
		if err != nil {
			return err
		}
		q.Sort = sort
	}
	if raw, ok := obj["fields"]; ok {
		var v any
		_ = json.Unmarshal(raw, &v)
		fields, err := parseFields(v)
		if err != nil {
			return err
		}
		q.Fields = fields
	}
	if raw, ok := obj["use_index"]; ok {
		var v any
		_ = json.Unmarshal(raw, &v)
		use, err := parseUseIndex(v)
		if err != nil {
			return err
		}
		q.UseIndex = use
	}
	return nil
}

func (q *Query) parseFlags(obj map[string]json.RawMessage) error {
	for name, dst := range map[string]*bool{
		"conflicts": &q.Conflicts, "execution_stats": &q.ExecutionStats, "update": &q.Update,
		"stable": &q.Stable, "allow_fallback": &q.AllowFallback,
	} {
		if err := boolean(obj, name, dst); err != nil {
			return err
		}
	}
	for name, dst := range map[string]*string{"bookmark": &q.Bookmark, "stale": &q.Stale, "partition": &q.Partition} {
		if err := str(obj, name, dst); err != nil {
			return err
		}
	}
	if q.Bookmark == "nil" {
		q.Bookmark = ""
	}
	if q.Stale != "" && q.Stale != "ok" {
		return badRequest("invalid_value", "Invalid value for stale: %s", jsonText(q.Stale))
	}
	return nil
}

func parseFields(v any) ([]string, error) {
	items, ok := v.([]any)
	if !ok {
		return nil, badRequest("invalid_fields", "Fields must be an array of strings, not: %s", jsonText(v))
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, ok := it.(string)
		if !ok || s == "" {
			return nil, badRequest("invalid_field", "Invalid JSON for field spec: %s", jsonText(it))
		}
		out = append(out, s)
	}
	return out, nil
}

func parseUseIndex(v any) ([]string, error) {
	var out []string
	switch t := v.(type) {
	case string:
		if t != "" {
			out = []string{t}
		}
	case []any:
		for _, it := range t {
			s, ok := it.(string)
			if !ok {
				return nil, badRequest("invalid_index_name", "Invalid index name: %s", jsonText(v))
			}
			out = append(out, s)
		}
	default:
		return nil, badRequest("invalid_index_name", "Invalid index name: %s", jsonText(v))
	}
	if len(out) > 2 {
		return nil, badRequest("invalid_index_name", "Invalid index name: %s", jsonText(v))
	}
	if len(out) > 0 && !strings.HasPrefix(out[0], "_design/") {
		out[0] = "_design/" + out[0]
	}
	return out, nil
}

func nonNegInt(obj map[string]json.RawMessage, name string, dst *int) error {
	raw, ok := obj[name]
	if !ok {
		return nil
	}
	var v any
	_ = json.Unmarshal(raw, &v)
	n, ok := integer(v)
	if !ok || n < 0 || n > 1<<31 {
		return badRequest("invalid_non_neg_integer", "%s is not an integer greater than or equal to zero", raw)
	}
	*dst = int(n)
	return nil
}

func boolean(obj map[string]json.RawMessage, name string, dst *bool) error {
	raw, ok := obj[name]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil || string(raw) == "null" {
		return badRequest("invalid_boolean", "Invalid boolean value: %s", raw)
	}
	return nil
}

func str(obj map[string]json.RawMessage, name string, dst *string) error {
	raw, ok := obj[name]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil || string(raw) == "null" {
		return badRequest("invalid_string", "Invalid string: %s", raw)
	}
	return nil
}

// Limit is the maximum number of documents to return (default 25).
func (q *Query) Limit() int { return q.limit }

// Skip is the number of matching documents to skip first.
func (q *Query) Skip() int { return q.skip }

// Match reports whether doc satisfies the selector (CouchDB semantics; _id
// compares by raw bytes). The driver calls it on every candidate.
func (q *Query) Match(doc map[string]any) bool { return q.sel.match(doc) }

// NormalizedSelector returns the selector in CouchDB's normal form.
func (q *Query) NormalizedSelector() any { return q.sel.toJSON() }

// Project returns doc reduced to q.Fields (nested paths build nested
// objects; missing fields are left out), or doc itself when no fields were
// requested.
func (q *Query) Project(doc map[string]any) map[string]any {
	if len(q.Fields) == 0 {
		return doc
	}
	out := map[string]any{}
	for _, f := range q.Fields {
		segs := mango.SplitKeys(f)
		if v, ok := lookup(doc, segs); ok {
			setPath(out, segs, v)
		}
	}
	return out
}

func setPath(m map[string]any, segs []string, v any) {
	for _, s := range segs[:len(segs)-1] {
		next, ok := m[s].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[s] = next
		}
		m = next
	}
	m[segs[len(segs)-1]] = v
}
