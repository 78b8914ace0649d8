package mangoindex

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/go-kivik/kivik/v4/x/mango"
)

// node is a normalized selector, in CouchDB's normal form: implicit $and
// made explicit, nested field objects flattened to dotted paths, one operator
// per field condition, and negations ($not, $nor) pushed down to the fields.
type node interface {
	match(v any) bool
	// toJSON renders the normalized selector as CouchDB's _explain shows it.
	toJSON() any
	negate() node
}

// andNode matches when all children match (an empty one matches anything).
type andNode []node

// orNode matches when any child matches (an empty one matches anything, as
// in CouchDB).
type orNode []node

// fieldNode applies a condition to the value at a dotted path; an empty
// path (inside $elemMatch and friends) designates the value itself.
type fieldNode struct {
	path string
	segs []string
	cond condition
}

// noneNode matches nothing (it stands for an unparsable partial filter).
type noneNode struct{}

func (noneNode) match(any) bool { return false }
func (noneNode) toJSON() any    { return map[string]any{"$or": []any{}} }
func (noneNode) negate() node   { return andNode{} }

func newFieldNode(path string, c condition) *fieldNode {
	f := &fieldNode{path: path, cond: c}
	if path != "" {
		f.segs = mango.SplitKeys(path)
	}
	return f
}

func (a andNode) match(v any) bool {
	for _, n := range a {
		if !n.match(v) {
			return false
		}
	}
	return true
}

func (o orNode) match(v any) bool {
	if len(o) == 0 {
		return true
	}
	for _, n := range o {
		if n.match(v) {
			return true
		}
	}
	return false
}

func (f *fieldNode) match(v any) bool {
	val, found := lookup(v, f.segs)
	if !found {
		e, ok := f.cond.(existsCond)
		return ok && !bool(e)
	}
	cmp := Compare
	if f.path == "_id" {
		cmp = compareRaw
	}
	return f.cond.test(val, cmp)
}

func (a andNode) toJSON() any {
	if len(a) == 0 {
		return map[string]any{}
	}
	return map[string]any{"$and": nodesJSON(a)}
}

func (o orNode) toJSON() any { return map[string]any{"$or": nodesJSON(o)} }

func (f *fieldNode) toJSON() any { return map[string]any{f.path: f.cond.toJSON()} }

func nodesJSON(ns []node) []any {
	out := make([]any, len(ns))
	for i, n := range ns {
		out[i] = n.toJSON()
	}
	return out
}

func (a andNode) negate() node { return orNode(negateAll(a)) }

func (o orNode) negate() node { return andNode(negateAll(o)) }

func (f *fieldNode) negate() node { return newFieldNode(f.path, f.cond.negate()) }

func negateAll(ns []node) []node {
	out := make([]node, len(ns))
	for i, n := range ns {
		out[i] = n.negate()
	}
	return out
}

// parseSelector parses and normalizes a selector, which must be an object.
func parseSelector(raw json.RawMessage) (node, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, badRequest("invalid_selector_json", "Selector must be a JSON object, not: %s", raw)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, badRequest("invalid_selector_json", "Selector must be a JSON object, not: %s", jsonText(v))
	}
	return parseObject(m, "", false)
}

// parseObject normalizes selector object m found at path; inElem allows
// operators with no field (arguments of $elemMatch, $allMatch, $keyMapMatch).
func parseObject(m map[string]any, path string, inElem bool) (node, error) {
	switch len(m) {
	case 0:
		if path == "" {
			return andNode{}, nil
		}
		return newFieldNode(path, cmpCond{op: "$eq", arg: m}), nil
	case 1:
		for k, v := range m {
			return parseMember(k, v, path, inElem)
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(andNode, 0, len(keys))
	for _, k := range keys {
		n, err := parseMember(k, m[k], path, inElem)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

func parseMember(k string, v any, path string, inElem bool) (node, error) {
	switch {
	case k == "$and" || k == "$or" || k == "$nor":
		return parseCombination(k, v, path, inElem)
	case k == "$not":
		m, ok := v.(map[string]any)
		if !ok {
			return nil, badArg(k, v)
		}
		n, err := parseObject(m, path, inElem)
		if err != nil {
			return nil, err
		}
		return n.negate(), nil
	case strings.HasPrefix(k, "$"):
		if path == "" && !inElem {
			return nil, errMissingField()
		}
		c, err := parseCondition(k, v)
		if err != nil {
			return nil, err
		}
		return newFieldNode(path, c), nil
	case k == "":
		return nil, errMissingField()
	}
	if path != "" {
		k = path + "." + k
	}
	return parseValue(v, k, inElem)
}

// parseValue normalizes the value of a field: an object is a sub-selector,
// anything else means equality.
func parseValue(v any, path string, inElem bool) (node, error) {
	if m, ok := v.(map[string]any); ok {
		return parseObject(m, path, inElem)
	}
	if path == "" && !inElem {
		return nil, errMissingField()
	}
	return newFieldNode(path, cmpCond{op: "$eq", arg: v}), nil
}

func parseCombination(op string, v any, path string, inElem bool) (node, error) {
	args, ok := v.([]any)
	if !ok {
		return nil, badArg(op, v)
	}
	out := make([]node, 0, len(args))
	for _, a := range args {
		n, err := parseValue(a, path, inElem)
		if err != nil {
			return nil, err
		}
		if op == "$nor" {
			n = n.negate()
		}
		out = append(out, n)
	}
	if op == "$or" {
		return orNode(out), nil
	}
	return andNode(out), nil
}

func errMissingField() error {
	return badRequest("invalid_selector", "One or more conditions is missing a field name.")
}

func badArg(op string, v any) error {
	return badRequest("bad_arg", "Bad argument for operator %s: %s", op, jsonText(v))
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	return string(b)
}

// lookup returns the value at segs in v (CouchDB's mango_doc:get_field):
// object members by name, array elements by decimal index.
func lookup(v any, segs []string) (any, bool) {
	for _, s := range segs {
		switch t := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = t[s]; !ok {
				return nil, false
			}
		case []any:
			i, ok := arrayIndex(s)
			if !ok || i >= len(t) {
				return nil, false
			}
			v = t[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func arrayIndex(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
