package mangoindex

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestNewIndex(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, ddoc, idx, def string
		wantDDoc, wantName   string
		wantDef              string
	}{
		{"names given", "_design/people", "by-age", `{"fields":["age"]}`,
			"_design/people", "by-age", `{"fields":[{"age":"asc"}]}`},
		{"ddoc prefix added", "people", "x", `{"fields":[{"a":"desc"},{"b":"desc"}]}`,
			"_design/people", "x", `{"fields":[{"a":"desc"},{"b":"desc"}]}`},
		{"partial filter", "d", "n", `{"fields":["a"],"partial_filter_selector":{"type":"user"}}`,
			"_design/d", "n", `{"fields":[{"a":"asc"}],"partial_filter_selector":{"type":"user"}}`},
		{"empty partial filter dropped", "d", "n", `{"fields":["a"],"partial_filter_selector":{}}`,
			"_design/d", "n", `{"fields":[{"a":"asc"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ix := mustIndex(t, tt.ddoc, tt.idx, tt.def)
			if ix.DDoc != tt.wantDDoc || ix.Name != tt.wantName {
				t.Errorf("ddoc, name = %q, %q", ix.DDoc, ix.Name)
			}
			jsonEqual(t, ix.Definition(), tt.wantDef)
		})
	}
}

func TestNewIndexGeneratedNames(t *testing.T) {
	t.Parallel()
	a := mustIndex(t, "", "", `{"fields":["a","b"]}`)
	b := mustIndex(t, "", "", `{"fields":[{"a":"asc"},"b"]}`)
	c := mustIndex(t, "", "", `{"fields":["b","a"]}`)
	if a.DDoc != b.DDoc || a.Name != b.Name {
		t.Errorf("same definition, different names: %s/%s vs %s/%s", a.DDoc, a.Name, b.DDoc, b.Name)
	}
	if a.Name == c.Name {
		t.Errorf("different definitions share name %s", a.Name)
	}
	if a.DDoc != "_design/"+a.Name || len(a.Name) != 40 {
		t.Errorf("ddoc %q, name %q: want _design/<40 hex>", a.DDoc, a.Name)
	}
}

func TestNewIndexErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ def, name, reason string }{
		{``, "missing_required_key", "Missing required key: index"},
		{`"a"`, "invalid_index", `JSON indexes must be an object, not: "a"`},
		{`{}`, "missing_required_key", "Missing required key: fields"},
		{`{"fields":"a"}`, "invalid_sort_json", `Sort must be an array of sort specs, not: "a"`},
		{`{"fields":[]}`, "invalid_index", ""},
		{`{"fields":[1]}`, "invalid_sort_field", "Invalid sort field: 1"},
		{`{"fields":[""]}`, "invalid_sort_field", ""},
		{`{"fields":[{"a":"up"}]}`, "invalid_sort_dir", `Invalid sort direction: "up"`},
		{`{"fields":[{"a":"asc","b":"asc"}]}`, "invalid_sort_field", ""},
		{`{"fields":["a",{"b":"desc"}]}`, "unsupported_mixed_sort", "Sorts currently only support a single direction for all fields."},
		{`{"fields":["a"],"partial_filter_selector":5}`, "invalid_selector_json", ""},
		{`{"fields":["a"],"partial_filter_selector":{"a":{"$bad":1}}}`, "invalid_operator", ""},
		{`{"fields":["a"],"other":1}`, "invalid_key", "Invalid key other for this request."},
	}
	for _, tt := range tests {
		t.Run(tt.def, func(t *testing.T) {
			t.Parallel()
			_, err := NewIndex("", "", json.RawMessage(tt.def))
			wantError(t, err, tt.name, tt.reason)
		})
	}
}

func TestParseIndexRequest(t *testing.T) {
	t.Parallel()
	ix, err := ParseIndexRequest([]byte(`{"index":{"fields":["foo"]},"ddoc":"d","name":"n","type":"json"}`))
	if err != nil || ix.DDoc != "_design/d" || ix.Name != "n" {
		t.Fatalf("ParseIndexRequest = %+v, %v", ix, err)
	}
	_, err = ParseIndexRequest([]byte(`{"index":{"fields":["foo"]},"type":"text"}`))
	wantError(t, err, "invalid_index", "Invalid type for index: text")
	_, err = ParseIndexRequest([]byte(`{"fields":["foo"]}`))
	wantError(t, err, "invalid_key", "")
	_, err = ParseIndexRequest([]byte(`{"ddoc":"d"}`))
	wantError(t, err, "missing_required_key", "Missing required key: index")
}

func TestIndexKey(t *testing.T) {
	t.Parallel()
	ix := mustIndex(t, "d", "n", `{"fields":["last","first.name"],"partial_filter_selector":{"type":"user"}}`)
	tests := []struct {
		name, doc string
		want      []byte
		ok        bool
	}{
		{"indexed", `{"_id":"1","type":"user","last":"Doe","first":{"name":"Jo"}}`, EncodeKey("Doe", "Jo"), true},
		{"null is a value", `{"_id":"1","type":"user","last":null,"first":{"name":"Jo"}}`, EncodeKey(nil, "Jo"), true},
		{"missing field", `{"_id":"1","type":"user","last":"Doe"}`, nil, false},
		{"partial filter", `{"_id":"1","type":"group","last":"Doe","first":{"name":"Jo"}}`, nil, false},
		{"design doc", `{"_id":"_design/x","type":"user","last":"Doe","first":{"name":"Jo"}}`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key, ok := ix.Key(doc(t, tt.doc))
			if ok != tt.ok || !bytes.Equal(key, tt.want) {
				t.Errorf("Key = %x, %v; want %x, %v", key, ok, tt.want, tt.ok)
			}
		})
	}
	// A hand-built Index (e.g. loaded from storage) works too.
	raw := Index{Fields: []Field{{Name: "last"}}, PartialFilter: json.RawMessage(`{"type":"user"}`)}
	if _, ok := raw.Key(doc(t, `{"type":"user","last":"x"}`)); !ok {
		t.Error("hand-built index skipped a matching doc")
	}
	if _, ok := raw.Key(doc(t, `{"type":"other","last":"x"}`)); ok {
		t.Error("hand-built index kept a filtered-out doc")
	}
}
