package datasystest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
)

// pathEscape escapes one path segment ("/" becomes %2F).
func pathEscape(s string) string { return url.PathEscape(s) }

// jq encodes v as JSON for a query parameter value.
func jq(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("datasystest: encode %v: %v", v, err))
	}
	return url.QueryEscape(string(data))
}

// num returns a JSON number as an int, or -1 when v is not a number.
func num(v any) int {
	f, ok := v.(float64)
	if !ok {
		return -1
	}
	return int(f)
}

// list returns v as a JSON array, failing the test otherwise.
func list(t *testing.T, v any, what string) []any {
	t.Helper()
	a, ok := v.([]any)
	if !ok {
		t.Fatalf("%s: not an array: %#v", what, v)
	}
	return a
}

// rows returns the "rows" of a view-like response.
func rows(t *testing.T, m map[string]any) []map[string]any {
	t.Helper()
	return objs(t, m["rows"], "rows")
}

// objs returns v as an array of JSON objects.
func objs(t *testing.T, v any, what string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i, e := range list(t, v, what) {
		o, ok := e.(map[string]any)
		if !ok {
			t.Fatalf("%s[%d]: not an object: %#v", what, i, e)
		}
		out = append(out, o)
	}
	return out
}

// field collects one string field from each object.
func field(ms []map[string]any, name string) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		s, _ := m[name].(string)
		out = append(out, s)
	}
	return out
}

// strs converts a JSON array of strings.
func strs(t *testing.T, v any, what string) []string {
	t.Helper()
	var out []string
	for _, e := range list(t, v, what) {
		s, ok := e.(string)
		if !ok {
			t.Fatalf("%s: element %#v is not a string", what, e)
		}
		out = append(out, s)
	}
	return out
}

// sorted returns a sorted copy.
func sorted(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

// eq fails the test when got and want differ as lists.
func eq(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") || len(got) != len(want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

// gen returns the generation number of a revision.
func gen(t *testing.T, rev string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscanf(rev, "%d-", &n); err != nil {
		t.Fatalf("rev %q has no generation: %v", rev, err)
	}
	return n
}

// seed creates docs id → body and returns id → rev.
func (d *tdb) seed(docs map[string]map[string]any) map[string]string {
	d.t.Helper()
	revs := make(map[string]string, len(docs))
	for id, doc := range docs {
		revs[id] = d.put(id, doc)
	}
	return revs
}

// seedN creates doc000…doc(n-1) with {"n": i} and returns their ids in order.
func (d *tdb) seedN(n int) []string {
	d.t.Helper()
	ids := make([]string, n)
	docs := make([]any, n)
	for i := range n {
		ids[i] = fmt.Sprintf("doc%03d", i)
		docs[i] = map[string]any{"_id": ids[i], "n": i}
	}
	res := d.req("POST", "/_bulk_docs", map[string]any{"docs": docs}).want(201).Body
	var out []map[string]any
	if err := json.Unmarshal(res, &out); err != nil || len(out) != n {
		d.t.Fatalf("_bulk_docs seed: %v: %s", err, clip(res))
	}
	return ids
}
