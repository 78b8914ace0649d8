package mangoindex

import (
	"testing"
)

func TestPlanIndexChoice(t *testing.T) {
	t.Parallel()
	indexes := []Index{
		mustIndex(t, "a", "a", `{"fields":["a"]}`),
		mustIndex(t, "ab", "ab", `{"fields":["a","b"]}`),
		mustIndex(t, "b", "b", `{"fields":["b"]}`),
		mustIndex(t, "c", "c", `{"fields":["c"]}`),
		mustIndex(t, "p", "p", `{"fields":["a"],"partial_filter_selector":{"t":"x"}}`),
		mustIndex(t, "id", "id", `{"fields":["_id","a"]}`),
	}
	tests := []struct {
		name, body, want, warning string
	}{
		{"single field", `{"selector":{"a":{"$gt":1}}}`, "a", ""},
		{"longest bounded prefix", `{"selector":{"a":1,"b":{"$lt":2}}}`, "ab", ""},
		{"fewest columns on tie", `{"selector":{"a":1}}`, "a", ""},
		{"required by sort", `{"selector":{"a":1},"sort":["b"]}`, "ab", ""},
		{"sort only", `{"selector":{"x":1},"sort":[{"c":"desc"}]}`, "c", ""},
		{"exists makes usable", `{"selector":{"c":{"$exists":true}}}`, "c", ""},
		{"regex makes usable", `{"selector":{"c":{"$regex":"^x"}}}`, "c", ""},
		{"$or on both branches", `{"selector":{"$or":[{"c":1},{"c":2}]}}`, "c", ""},
		{"$or on one branch", `{"selector":{"$or":[{"c":1},{"d":2}]}}`, "_all_docs", warnNoIndex},
		{"empty $or requires nothing", `{"selector":{"x":1,"$or":[]}}`, "_all_docs", warnNoIndex},
		{"exists false", `{"selector":{"c":{"$exists":false}}}`, "_all_docs", warnNoIndex},
		{"no index", `{"selector":{"z":1}}`, "_all_docs", warnNoIndex},
		{"_id implied", `{"selector":{"a":{"$gt":0}},"use_index":"id"}`, "id", ""},
		{"partial only via use_index", `{"selector":{"a":1,"t":"x"},"use_index":"p"}`, "p", ""},
		{"use_index with name", `{"selector":{"a":1,"b":{"$exists":true}},"use_index":["ab","ab"]}`, "ab", ""},
		{"use_index unusable", `{"selector":{"a":1},"use_index":"c"}`, "a",
			"_design/c was not used because it does not contain a valid index for this query."},
		{"use_index unknown name", `{"selector":{"z":1},"use_index":["c","nope"]}`, "_all_docs",
			"_design/c, nope was not used because it is not a valid index for this query.\n" + warnNoIndex},
		{"sort by _id on all_docs", `{"selector":{"_id":{"$gt":null}},"sort":["_id"]}`, "_all_docs", warnNoIndex},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := mustQuery(t, tt.body).Plan(indexes)
			if err != nil {
				t.Fatal(err)
			}
			got := "_all_docs"
			if p.Index != nil {
				got = p.Index.Name
			}
			if got != tt.want || p.Warning != tt.warning {
				t.Errorf("index %q, warning %q; want %q, %q", got, p.Warning, tt.want, tt.warning)
			}
		})
	}
}

func TestPlanErrors(t *testing.T) {
	t.Parallel()
	indexes := []Index{mustIndex(t, "ab", "ab", `{"fields":["a","b"]}`)}
	tests := []struct{ name, body, errName, reason string }{
		{"sort without index", `{"selector":{"a":1},"sort":["z"]}`, "no_usable_index",
			"No index exists for this sort, try indexing by the sort fields."},
		{"sort on non-leading column", `{"selector":{"a":{"$gt":1}},"sort":["b"]}`, "no_usable_index", ""},
		{"no fallback", `{"selector":{"z":1},"use_index":"ab","allow_fallback":false}`, "no_usable_index", ""},
		{"bad bookmark", `{"selector":{"a":1},"bookmark":"!!"}`, "invalid_bookmark", `Invalid bookmark value: "!!"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := mustQuery(t, tt.body).Plan(indexes)
			wantError(t, err, tt.errName, tt.reason)
		})
	}
}

func TestPlanFlags(t *testing.T) {
	t.Parallel()
	indexes := []Index{mustIndex(t, "a", "a", `{"fields":["a"]}`)}
	tests := []struct {
		body            string
		empty, desc     bool
		start, end      []byte
		startIncl, eInc bool
	}{
		{`{"selector":{"a":{"$gt":5,"$lt":2}}}`, true, false, nil, nil, true, false},
		{`{"selector":{"a":{"$gt":5,"$lte":5}}}`, true, false, nil, nil, true, false},
		{`{"selector":{"$or":[]}}`, true, false, nil, nil, false, false},
		{`{"selector":{"a":{"$gt":0}},"sort":[{"a":"desc"}]}`, false, true, prefixEnd(EncodeKey(0)[:10]), nil, true, false},
		{`{"selector":{"a":3}}`, false, false, EncodeKey(3)[:10], prefixEnd(EncodeKey(3)[:10]), true, false},
		{`{"selector":{"_id":{"$gte":"b","$lt":"d"}}}`, false, false, []byte("b"), []byte("d"), true, false},
		{`{"selector":{"_id":{"$gt":null}}}`, false, false, nil, nil, false, false},
		{`{"selector":{"_id":{"$lt":null}}}`, true, false, nil, nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			t.Parallel()
			p, err := mustQuery(t, tt.body).Plan(indexes)
			if err != nil {
				t.Fatal(err)
			}
			if p.Empty != tt.empty || p.Descending != tt.desc {
				t.Errorf("empty %v desc %v, want %v %v", p.Empty, p.Descending, tt.empty, tt.desc)
			}
			if tt.empty {
				return
			}
			if string(p.Start) != string(tt.start) || string(p.End) != string(tt.end) ||
				p.StartInclusive != tt.startIncl || p.EndInclusive != tt.eInc {
				t.Errorf("range %x(%v) .. %x(%v), want %x(%v) .. %x(%v)", p.Start, p.StartInclusive, p.End,
					p.EndInclusive, tt.start, tt.startIncl, tt.end, tt.eInc)
			}
		})
	}
}

func TestBookmarkRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key []byte
		id  string
	}{
		{EncodeKey("a", 1), "doc1"},
		{[]byte("doc-7"), "doc-7"},
		{[]byte{}, ""},
		{EncodeKey(map[string]any{"x": []any{nil}}), "id with spaces/é"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			t.Parallel()
			key, id, err := parseBookmark(Bookmark(tt.key, tt.id))
			if err != nil || string(key) != string(tt.key) || id != tt.id || key == nil {
				t.Errorf("round trip = %x, %q, %v", key, id, err)
			}
		})
	}
}
