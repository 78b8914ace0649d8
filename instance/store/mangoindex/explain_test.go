package mangoindex

import (
	"testing"
)

func TestExplain(t *testing.T) {
	t.Parallel()
	indexes := []Index{mustIndex(t, "_design/by-year", "year", `{"fields":["year","title"]}`)}
	tests := []struct {
		name, body, want string
	}{
		{"json index", `{"selector":{"year":{"$gt":2010},"title":{"$exists":true}},"fields":["title"],"limit":2}`, `{
			"dbname":"movies",
			"index":{"ddoc":"_design/by-year","name":"year","type":"json","partitioned":false,
				"def":{"fields":[{"year":"asc"},{"title":"asc"}]}},
			"partitioned":false,
			"selector":{"$and":[{"title":{"$exists":true}},{"year":{"$gt":2010}}]},
			"opts":{"use_index":[],"bookmark":"nil","limit":2,"skip":0,"sort":{},"fields":["title"],"partition":"",
				"r":1,"conflicts":false,"stale":false,"update":true,"stable":false,"execution_stats":false,
				"allow_fallback":true},
			"limit":2,"skip":0,"fields":["title"],
			"mrargs":{"include_docs":true,"view_type":"map","reduce":false,"partition":null,
				"start_key":[2010],"end_key":["<MAX>"],"direction":"fwd","stable":false,"update":true,
				"conflicts":"undefined"},
			"covering":false}`},
		{"descending eq prefix", `{"selector":{"year":2000},"sort":[{"year":"desc"},{"title":"desc"}]}`, `{
			"dbname":"movies",
			"index":{"ddoc":"_design/by-year","name":"year","type":"json","partitioned":false,
				"def":{"fields":[{"year":"asc"},{"title":"asc"}]}},
			"partitioned":false,
			"selector":{"year":{"$eq":2000}},
			"opts":{"use_index":[],"bookmark":"nil","limit":25,"skip":0,"sort":{"year":"desc","title":"desc"},
				"fields":[],"partition":"","r":1,"conflicts":false,"stale":false,"update":true,"stable":false,
				"execution_stats":false,"allow_fallback":true},
			"limit":25,"skip":0,"fields":[],
			"mrargs":{"include_docs":true,"view_type":"map","reduce":false,"partition":null,
				"start_key":[2000,"<MAX>"],"end_key":[2000],"direction":"rev","stable":false,"update":true,
				"conflicts":"undefined"},
			"covering":false}`},
		{"all docs", `{"selector":{"_id":{"$gt":"a"}}}`, `{
			"dbname":"movies",
			"index":{"ddoc":null,"name":"_all_docs","type":"special","partitioned":false,
				"def":{"fields":[{"_id":"asc"}]}},
			"partitioned":false,
			"selector":{"_id":{"$gt":"a"}},
			"opts":{"use_index":[],"bookmark":"nil","limit":25,"skip":0,"sort":{},"fields":[],"partition":"",
				"r":1,"conflicts":false,"stale":false,"update":true,"stable":false,"execution_stats":false,
				"allow_fallback":true},
			"limit":25,"skip":0,"fields":[],
			"mrargs":{"include_docs":true,"view_type":"map","reduce":false,"partition":null,
				"start_key":"a","end_key":"<MAX>","direction":"fwd","stable":false,"update":true,
				"conflicts":"undefined"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := mustQuery(t, tt.body)
			p, err := q.Plan(indexes)
			if err != nil {
				t.Fatal(err)
			}
			jsonEqual(t, q.Explain("movies", p), tt.want)
		})
	}
}

func TestListEntries(t *testing.T) {
	t.Parallel()
	ix := mustIndex(t, "d", "n", `{"fields":[{"a":"desc"}]}`)
	jsonEqual(t, ix.ListEntry(), `{"ddoc":"_design/d","name":"n","type":"json","partitioned":false,
		"def":{"fields":[{"a":"desc"}]}}`)
	jsonEqual(t, AllDocsEntry(), `{"ddoc":null,"name":"_all_docs","type":"special","partitioned":false,
		"def":{"fields":[{"_id":"asc"}]}}`)
}

func TestDriverIndexes(t *testing.T) {
	t.Parallel()
	got := DriverIndexes([]Index{mustIndex(t, "d", "n", `{"fields":["a"]}`)})
	jsonEqual(t, got, `[{"name":"_all_docs","type":"special","def":{"fields":[{"_id":"asc"}]}},
		{"ddoc":"_design/d","name":"n","type":"json","def":{"fields":[{"a":"asc"}]}}]`)
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		`{"selector":{"a":{"$gt":1,"$lt":[2]}},"sort":["a"]}`,
		`{"selector":{"$or":[{"a":{"$elemMatch":{"b":{"$in":[1]}}}},{"$not":{"c":{"$mod":[2,1]}}}]}}`,
		`{"selector":{"a":{"$allMatch":{"$regex":"x"}},"b":{"$keyMapMatch":{"$eq":"k"}}}}`,
		`{"selector":{"$nor":[{"a":{"$size":1}},{"b":{"$all":[[1]]}}]},"bookmark":"AQ"}`,
	} {
		f.Add(s)
	}
	docs := []map[string]any{
		mustDecode(`{"_id":"x","a":[{"b":1},2],"b":{"k":[1]},"c":3}`),
		mustDecode(`{"_id":"y","a":"x","b":[[1]],"c":null}`),
	}
	f.Fuzz(func(t *testing.T, body string) {
		q, err := ParseQuery([]byte(body))
		if err != nil {
			return
		}
		for _, d := range docs {
			q.Match(d)
			q.Project(d)
		}
		if p, err := q.Plan([]Index{{Fields: []Field{{Name: "a"}}}}); err == nil {
			q.Explain("db", p)
		}
	})
}

func TestQueryPlan(t *testing.T) {
	t.Parallel()
	q := mustQuery(t, `{"selector":{"a":{"$lt":3}},"fields":["a"],"skip":1}`)
	p, err := q.Plan(nil)
	if err != nil {
		t.Fatal(err)
	}
	qp := q.QueryPlan("db", p)
	if qp.DBName != "db" || qp.Skip != 1 || qp.Limit != 25 || len(qp.Fields) != 1 || qp.Index["name"] != "_all_docs" {
		t.Errorf("QueryPlan = %+v", qp)
	}
	jsonEqual(t, qp.Selector, `{"a":{"$lt":3}}`)
	if qp.Range["direction"] != "fwd" {
		t.Errorf("Range = %v", qp.Range)
	}
}
