package mangoindex

import (
	"encoding/json"
	"testing"
)

func TestMatch(t *testing.T) {
	t.Parallel()
	d := `{"_id":"b","name":"Ann","age":20.5,"tags":["x","y"],"addr":{"city":"Paris","zip":"75"},
		"n":null,"scores":[{"v":80},{"v":95}],"e":[],"i":7,"dot.key":1}`
	tests := []struct {
		sel  string
		want bool
	}{
		{`{}`, true},
		{`{"name":"Ann"}`, true},
		{`{"name":"ann"}`, false},
		{`{"age":{"$gt":20}}`, true}, // kivik's collate truncates 0.5 to 0
		{`{"age":{"$gt":20,"$lt":21}}`, true},
		{`{"age":{"$gt":20,"$lt":20.5}}`, false},
		{`{"addr":{"city":"Paris"}}`, true},
		{`{"addr.city":"Paris","addr.zip":{"$gte":"70"}}`, true},
		{`{"addr":{"$eq":{"city":"Paris","zip":"75"}}}`, true},
		{`{"missing":{"$exists":false}}`, true},
		{`{"n":{"$exists":false}}`, false},
		{`{"n":{"$exists":true}}`, true},
		{`{"n":null}`, true},
		{`{"missing":null}`, false},
		{`{"missing":{"$ne":1}}`, false},
		{`{"$not":{"missing":1}}`, false}, // CouchDB pushes $not down: missing $ne 1
		{`{"name":{"$in":["Bob","Ann"]}}`, true},
		{`{"tags":{"$in":["y","z"]}}`, true},
		{`{"tags":{"$nin":["y"]}}`, false},
		{`{"tags":{"$all":["y","x"]}}`, true},
		{`{"tags":{"$all":[]}}`, false},
		{`{"tags":{"$size":2}}`, true},
		{`{"tags.1":"y"}`, true},
		{`{"tags.2":"y"}`, false},
		{`{"tags":{"$elemMatch":{"$eq":"x"}}}`, true},
		{`{"scores":{"$elemMatch":{"v":{"$gt":90}}}}`, true},
		{`{"scores":{"$allMatch":{"v":{"$gt":90}}}}`, false},
		{`{"e":{"$allMatch":{"$gt":0}}}`, false},
		{`{"addr":{"$keyMapMatch":{"$eq":"zip"}}}`, true},
		{`{"i":{"$mod":[4,3]}}`, true},
		{`{"age":{"$mod":[4,0]}}`, false},
		{`{"name":{"$regex":"^A"}}`, true},
		{`{"name":{"$type":"string"}}`, true},
		{`{"n":{"$type":"null"}}`, true},
		{`{"$or":[{"name":"Bob"},{"age":20.5}]}`, true},
		{`{"$or":[]}`, true},
		{`{"$nor":[{"name":"Bob"},{"age":1}]}`, true},
		{`{"name":{"$not":{"$regex":"^B"}}}`, true},
		{`{"$and":[{"name":"Ann"},{"i":{"$lte":6}}]}`, false},
		{`{"age":{"$gt":"a"}}`, false},
		{`{"name":{"$gt":5}}`, true},   // strings sort after numbers
		{`{"_id":{"$lt":"B"}}`, false}, // raw comparison for _id: "b" > "B"
		{`{"dot\\.key":1}`, true},
	}
	m := doc(t, d)
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			t.Parallel()
			q := mustQuery(t, `{"selector":`+tt.sel+`}`)
			if got := q.Match(m); got != tt.want {
				t.Errorf("Match = %v, want %v (normalized %s)", got, tt.want, jsonText(q.NormalizedSelector()))
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct{ sel, want string }{
		{`{}`, `{}`},
		{`{"a":1}`, `{"a":{"$eq":1}}`},
		{`{"a":{"b":{"$gt":1}}}`, `{"a.b":{"$gt":1}}`},
		{`{"a":{"$gt":1,"$lt":5}}`, `{"$and":[{"a":{"$gt":1}},{"a":{"$lt":5}}]}`},
		{`{"b":1,"a":2}`, `{"$and":[{"a":{"$eq":2}},{"b":{"$eq":1}}]}`},
		{`{"$not":{"a":{"$lt":3}}}`, `{"a":{"$gte":3}}`},
		{`{"$not":{"$and":[{"a":1},{"b":{"$in":[1]}}]}}`, `{"$or":[{"a":{"$ne":1}},{"b":{"$nin":[1]}}]}`},
		{`{"$nor":[{"a":{"$exists":true}}]}`, `{"$and":[{"a":{"$exists":false}}]}`},
		{`{"a":{"$not":{"$size":1}}}`, `{"a":{"$not":{"$size":1}}}`},
		{`{"a":{"$or":[1,2]}}`, `{"$or":[{"a":{"$eq":1}},{"a":{"$eq":2}}]}`},
		{`{"a":{"$elemMatch":{"$gt":1}}}`, `{"a":{"$elemMatch":{"":{"$gt":1}}}}`},
		{`{"a":{}}`, `{"a":{"$eq":{}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			t.Parallel()
			n, err := parseSelector(json.RawMessage(tt.sel))
			if err != nil {
				t.Fatal(err)
			}
			jsonEqual(t, n.toJSON(), tt.want)
		})
	}
}

func TestSelectorErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ sel, name, reason string }{
		{`[1]`, "invalid_selector_json", "Selector must be a JSON object, not: [1]"},
		{`{"a":{"$foo":1}}`, "invalid_operator", "Invalid operator: $foo"},
		{`{"$gt":1}`, "invalid_selector", "One or more conditions is missing a field name."},
		{`{"a":{"$in":5}}`, "bad_arg", "Bad argument for operator $in: 5"},
		{`{"$and":{"a":1}}`, "bad_arg", `Bad argument for operator $and: {"a":1}`},
		{`{"a":{"$exists":1}}`, "bad_arg", "Bad argument for operator $exists: 1"},
		{`{"a":{"$size":-1}}`, "bad_arg", ""},
		{`{"a":{"$mod":[0,1]}}`, "bad_arg", ""},
		{`{"a":{"$mod":[2.5,1]}}`, "bad_arg", ""},
		{`{"a":{"$regex":"("}}`, "bad_arg", ""},
		{`{"a":{"$elemMatch":3}}`, "bad_arg", ""},
		{`{"a":{"$where":"x"}}`, "not_supported", "Unsupported operator: $where"},
		{`{"":1}`, "invalid_selector", ""},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			t.Parallel()
			_, err := ParseQuery([]byte(`{"selector":` + tt.sel + `}`))
			wantError(t, err, tt.name, tt.reason)
		})
	}
}
