package search

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/search/query"
)

func TestExpand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		q      string
		fields []string
		want   []string // in the JSON of the expanded query
		not    []string
	}{
		{q: "milk", fields: []string{"title", "body"}, want: []string{`"field":"title"`, `"field":"body"`}},
		{q: `+milk -"sea train" w1*`, fields: []string{"title", "body"},
			want: []string{`"match_phrase":"sea train","field":"body"`, `"wildcard":"w1*","field":"title"`}},
		{q: "title:milk", fields: []string{"title", "body"}, not: []string{`"field":"body"`}},
		{q: "milk", fields: []string{"title"}, want: []string{`"field":"title"`}},
		{q: "milk", fields: nil, want: []string{`"match_none"`}},
	} {
		q, err := query.NewQueryStringQuery(tc.q).Parse()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(expand(q, tc.fields))
		if err != nil {
			t.Fatal(err)
		}
		got := string(raw)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%q over %v: %s lacks %s", tc.q, tc.fields, got, w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(got, w) {
				t.Errorf("%q over %v: %s has %s", tc.q, tc.fields, got, w)
			}
		}
		if strings.Contains(got, `"field":""`) {
			t.Errorf("%q: a part without a field is left: %s", tc.q, got)
		}
	}
}

// TestQueryKinds runs each kind of query of the syntax over documents of several fields: words
// without a field search every field, a phrase does not run from one field into the next.
func TestQueryKinds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ix := e.indexer(t, nil)
	e.put(t, alice, notesType,
		map[string]any{"_id": "a", "title": "Train tickets", "body": "ocean sea trip", "tags": []any{"travel"}},
		map[string]any{"_id": "b", "title": "Sea shells", "place": map[string]any{"city": "Lisbon"}},
		map[string]any{"_id": "c", "title": "Lisbon train", "body": "sea view"},
	)
	ix.Notify(alice, notesType)
	wantTotal(t, ix, alice, "sea", 3)
	for q, want := range map[string]string{
		"travel":               "a",
		"+sea -lisbon":         "a",
		`"ocean sea"`:          "a",
		`"tickets ocean"`:      "", // the end of title and the start of body are not a phrase
		"trav*":                "a",
		"/ticke.s/":            "a",
		"shels~1":              "b",
		"place.city:lisbon":    "b",
		"+lisbon +train":       "c",
		"+lisbon +title:sea":   "b",
		"view^3 +sea +train":   "a,c",
		"tags:travel OR shel*": "a,b",
	} {
		res := search(t, ix, alice, q)
		var ids []string
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
		if got := strings.Join(slices.Sorted(slices.Values(ids)), ","); got != want {
			t.Errorf("%q found %q, want %q", q, got, want)
		}
	}
	if res := search(t, ix, alice, "shells"); len(res.Hits) != 1 || res.Hits[0].Fragments["title"][0] != "Sea <mark>shells</mark>" {
		t.Errorf("fragments: %+v", res.Hits)
	}
}
