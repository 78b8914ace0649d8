package mangoindex

import "testing"

func TestParseQuery(t *testing.T) {
	t.Parallel()
	q := mustQuery(t, `{"selector":{"a":1},"fields":["a","b.c"],"sort":[{"a":"desc"}],"limit":10,"skip":2,
		"use_index":"idx","bookmark":"nil","r":2,"conflicts":true,"execution_stats":true,"update":false,"stable":true}`)
	if q.Limit() != 10 || q.Skip() != 2 || q.R != 2 || !q.Conflicts || !q.ExecutionStats || q.Update || !q.Stable {
		t.Errorf("options not parsed: %+v", q)
	}
	if q.Bookmark != "" || len(q.UseIndex) != 1 || q.UseIndex[0] != "_design/idx" {
		t.Errorf("bookmark %q, use_index %v", q.Bookmark, q.UseIndex)
	}
	if len(q.Sort) != 1 || !q.Sort[0].Desc || len(q.Fields) != 2 {
		t.Errorf("sort %v, fields %v", q.Sort, q.Fields)
	}
	d := mustQuery(t, `{"selector":{}}`)
	if d.Limit() != DefaultLimit || d.Skip() != 0 || !d.Update || d.R != 1 || !d.AllowFallback {
		t.Errorf("defaults: %+v", d)
	}
	u := mustQuery(t, `{"selector":{},"use_index":["_design/d","n"]}`)
	if len(u.UseIndex) != 2 || u.UseIndex[0] != "_design/d" || u.UseIndex[1] != "n" {
		t.Errorf("use_index %v", u.UseIndex)
	}
}

func TestParseQueryErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ body, name, reason string }{
		{`[]`, "bad_request", ""},
		{`{}`, "missing_required_key", "Missing required key: selector"},
		{`{"selector":{},"foo":1}`, "invalid_key", "Invalid key foo for this request."},
		{`{"selector":{},"limit":-1}`, "invalid_non_neg_integer", "-1 is not an integer greater than or equal to zero"},
		{`{"selector":{},"skip":"a"}`, "invalid_non_neg_integer", ""},
		{`{"selector":{},"r":0}`, "invalid_pos_integer", ""},
		{`{"selector":{},"fields":"a"}`, "invalid_fields", `Fields must be an array of strings, not: "a"`},
		{`{"selector":{},"fields":[1]}`, "invalid_field", "Invalid JSON for field spec: 1"},
		{`{"selector":{},"sort":{"a":"asc"}}`, "invalid_sort_json", ""},
		{`{"selector":{},"sort":["a",{"b":"desc"}]}`, "unsupported_mixed_sort", ""},
		{`{"selector":{},"use_index":["a","b","c"]}`, "invalid_index_name", ""},
		{`{"selector":{},"use_index":5}`, "invalid_index_name", "Invalid index name: 5"},
		{`{"selector":{},"conflicts":"yes"}`, "invalid_boolean", `Invalid boolean value: "yes"`},
		{`{"selector":{},"bookmark":5}`, "invalid_string", "Invalid string: 5"},
		{`{"selector":{},"stale":"no"}`, "invalid_value", ""},
		{`{"selector":5}`, "invalid_selector_json", ""},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			t.Parallel()
			_, err := ParseQuery([]byte(tt.body))
			wantError(t, err, tt.name, tt.reason)
		})
	}
}

func TestProject(t *testing.T) {
	t.Parallel()
	d := doc(t, `{"_id":"1","_rev":"1-a","a":1,"b":{"c":2,"d":3},"e":[10,20]}`)
	tests := []struct{ fields, want string }{
		{`[]`, `{"_id":"1","_rev":"1-a","a":1,"b":{"c":2,"d":3},"e":[10,20]}`},
		{`["_id","a"]`, `{"_id":"1","a":1}`},
		{`["b.c","missing","b.x"]`, `{"b":{"c":2}}`},
		{`["b.c","b.d"]`, `{"b":{"c":2,"d":3}}`},
		{`["e.1"]`, `{"e":{"1":20}}`},
	}
	for _, tt := range tests {
		t.Run(tt.fields, func(t *testing.T) {
			t.Parallel()
			q := mustQuery(t, `{"selector":{},"fields":`+tt.fields+`}`)
			jsonEqual(t, q.Project(d), tt.want)
		})
	}
}
