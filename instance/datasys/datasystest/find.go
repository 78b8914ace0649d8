package datasystest

import (
	"fmt"
	"testing"
)

// seedFind creates doc000…doc009 with n = 0…9 and t = "even" or "odd", and
// when indexed is true a JSON index "by-n" on n in design doc "idx".
func (d *tdb) seedFind(indexed bool) []string {
	d.t.Helper()
	ids := make([]string, 10)
	docs := make([]any, 10)
	for i := range ids {
		ids[i] = fmt.Sprintf("doc%03d", i)
		docs[i] = map[string]any{"_id": ids[i], "n": i, "t": [2]string{"even", "odd"}[i%2]}
	}
	d.req("POST", "/_bulk_docs", map[string]any{"docs": docs}).want(201)
	if indexed {
		d.createIndex()
	}
	return ids
}

func (d *tdb) createIndex() map[string]any {
	d.t.Helper()
	return d.req("POST", "/_index", map[string]any{
		"index": map[string]any{"fields": []string{"n"}}, "name": "by-n", "ddoc": "idx",
	}).want(200).obj()
}

// find runs a _find query and returns the response.
func (d *tdb) find(query map[string]any) map[string]any {
	d.t.Helper()
	return d.req("POST", "/_find", query).want(200).obj()
}

func findCases() []testCase {
	return []testCase{
		{name: "IndexLifecycle", run: testIndexLifecycle},
		{name: "Selector", run: func(t *testing.T, db *tdb) {
			db.seedFind(false)
			m := db.find(map[string]any{"selector": map[string]any{"t": "odd", "n": map[string]any{"$lt": 7}}})
			eq(t, "ids", sorted(field(objs(t, m["docs"], "docs"), "_id")), []string{"doc001", "doc003", "doc005"})
			if w, _ := m["warning"].(string); w == "" {
				t.Errorf("no warning for a query no index serves: %v", m)
			}
		}},
		{name: "FieldsSortLimitSkip", run: func(t *testing.T, db *tdb) {
			db.seedFind(true)
			m := db.find(map[string]any{
				"selector": map[string]any{"n": map[string]any{"$gte": 2}},
				"sort":     []any{map[string]any{"n": "desc"}},
				"fields":   []string{"_id", "n"},
				"limit":    3, "skip": 1,
			})
			docs := objs(t, m["docs"], "docs")
			eq(t, "ids", field(docs, "_id"), []string{"doc008", "doc007", "doc006"})
			for _, d := range docs {
				if len(d) != 2 {
					t.Errorf("fields not applied: %v", d)
				}
			}
			if m["warning"] != nil {
				t.Errorf("warning with a usable index: %v", m["warning"])
			}
		}},
		{name: "UseIndex", run: func(t *testing.T, db *tdb) {
			db.seedFind(true)
			for _, use := range []any{"idx", []string{"idx", "by-n"}} {
				q := map[string]any{"selector": map[string]any{"n": map[string]any{"$gte": 8}},
					"use_index": use, "sort": []string{"n"}}
				eq(t, fmt.Sprintf("use_index %v", use), field(objs(t, db.find(q)["docs"], "docs"), "_id"),
					[]string{"doc008", "doc009"})
			}
		}},
		{name: "Explain", run: testExplain},
		{name: "InvalidQuery", run: func(t *testing.T, db *tdb) {
			db.seedFind(false)
			for name, q := range map[string]any{
				"unknown operator":  map[string]any{"selector": map[string]any{"n": map[string]any{"$bogus": 1}}},
				"selector a string": map[string]any{"selector": "nope"},
				"no selector":       map[string]any{"limit": 1},
				"sort unindexed":    map[string]any{"selector": map[string]any{"t": "odd"}, "sort": []string{"t"}},
			} {
				t.Run(name, func(t *testing.T) {
					(&tdb{t: t, Target: db.Target}).req("POST", "/_find", q).wantErr("", 400)
				})
			}
		}},
		// pouchdb-server returns no bookmark.
		{name: "BookmarkPaging", hearth: true, run: testBookmarks},
	}
}

func testIndexLifecycle(t *testing.T, db *tdb) {
	created := db.createIndex()
	if created["result"] != "created" || created["name"] != "by-n" || created["id"] != "_design/idx" {
		t.Errorf("create index = %v", created)
	}
	if again := db.createIndex(); again["result"] != "exists" {
		t.Errorf("create again = %v, want result exists", again)
	}
	idx := findIndex(t, db, "by-n")
	if idx == nil {
		t.Fatal("index by-n not listed")
	}
	def, _ := idx["def"].(map[string]any)
	if mustJSON(t, def["fields"]) != `[{"n":"asc"}]` || idx["type"] != "json" {
		t.Errorf("listed index = %v", idx)
	}
	ddoc, _ := idx["ddoc"].(string)
	db.req("DELETE", "/_index/"+pathEscape(ddoc)+"/json/by-n", nil).want(200)
	if findIndex(t, db, "by-n") != nil {
		t.Error("index still listed after DELETE")
	}
}

// findIndex returns the index called name listed by GET _index, or nil.
func findIndex(t *testing.T, db *tdb, name string) map[string]any {
	t.Helper()
	m := db.get("/_index")
	for _, idx := range objs(t, m["indexes"], "indexes") {
		if idx["name"] == name {
			return idx
		}
	}
	return nil
}

func testExplain(t *testing.T, db *tdb) {
	db.seedFind(true)
	cases := []struct {
		selector map[string]any
		index    string
	}{
		{map[string]any{"n": map[string]any{"$gt": 1}}, "by-n"},
		{map[string]any{"t": "odd"}, "_all_docs"},
	}
	for _, c := range cases {
		m := db.req("POST", "/_explain", map[string]any{"selector": c.selector}).want(200).obj()
		idx, _ := m["index"].(map[string]any)
		if idx["name"] != c.index {
			t.Errorf("_explain %v: index %v, want %s", c.selector, m["index"], c.index)
		}
	}
}

// testBookmarks pages through queries with bookmarks and checks that the
// pages cover every matching doc exactly once.
func testBookmarks(t *testing.T, db *tdb) {
	ids := db.seedFind(true)
	queries := map[string]map[string]any{
		"indexed sort": {"selector": map[string]any{"n": map[string]any{"$gte": 0}}, "sort": []string{"n"}},
		"all_docs":     {"selector": map[string]any{"t": map[string]any{"$exists": true}}},
	}
	for name, q := range queries {
		t.Run(name, func(t *testing.T) {
			sub := &tdb{t: t, Target: db.Target}
			var got []string
			q["limit"] = 3
			for page := 0; page < 10; page++ {
				m := sub.find(q)
				docs := field(objs(t, m["docs"], "docs"), "_id")
				if len(docs) == 0 {
					break
				}
				got = append(got, docs...)
				bm, _ := m["bookmark"].(string)
				if bm == "" {
					t.Fatalf("page %d has no bookmark: %v", page, m)
				}
				q["bookmark"] = bm
			}
			eq(t, "ids over all pages", sorted(got), ids)
		})
	}
}
