package mangoindex

import (
	"encoding/json"
	"errors"
	"testing"
)

// doc decodes a JSON object for tests.
func doc(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test doc %s: %v", s, err)
	}
	return m
}

// mustDecode decodes a JSON object or panics (for generated test data).
func mustDecode(s string) map[string]any {
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		panic(err)
	}
	return m
}

// mustQuery parses a _find body or fails the test.
func mustQuery(t *testing.T, body string) *Query {
	t.Helper()
	q, err := ParseQuery([]byte(body))
	if err != nil {
		t.Fatalf("ParseQuery(%s): %v", body, err)
	}
	return q
}

// mustIndex builds an index from a definition or fails the test.
func mustIndex(t *testing.T, ddoc, name, def string) Index {
	t.Helper()
	ix, err := NewIndex(ddoc, name, json.RawMessage(def))
	if err != nil {
		t.Fatalf("NewIndex(%s): %v", def, err)
	}
	return ix
}

// wantError checks that err is a bad request with the CouchDB name and reason.
func wantError(t *testing.T, err error, name, reason string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrBadRequest) {
		t.Fatalf("err = %v, want *Error wrapping ErrBadRequest", err)
	}
	if e.Name != name || (reason != "" && e.Reason != reason) {
		t.Errorf("err = %s / %q, want %s / %q", e.Name, e.Reason, name, reason)
	}
}

// jsonEqual compares values through their JSON encoding.
func jsonEqual(t *testing.T, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	var generic any // re-marshal so that struct field order does not matter
	_ = json.Unmarshal(g, &generic)
	g, _ = json.Marshal(generic)
	var w any = want
	if s, ok := want.(string); ok {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatalf("bad want %s: %v", s, err)
		}
		w = v
	}
	wb, _ := json.Marshal(w)
	if string(g) != string(wb) {
		t.Errorf("got  %s\nwant %s", g, wb)
	}
}
