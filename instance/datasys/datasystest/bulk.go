package datasystest

import (
	"encoding/json"
	"testing"
)

func decodeAny(t *testing.T, body []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("invalid JSON: %v: %s", err, clip(body))
	}
	return v
}

func bulkDocsCases() []testCase {
	return []testCase{
		{name: "ResultsPerDoc", run: testBulkResults},
		{name: "UpdateAndDelete", run: func(t *testing.T, db *tdb) {
			ra := db.put("a", map[string]any{"v": 1})
			rb := db.put("b", map[string]any{"v": 1})
			r := db.req("POST", "/_bulk_docs", map[string]any{"docs": []any{
				map[string]any{"_id": "a", "_rev": ra, "v": 2},
				map[string]any{"_id": "b", "_rev": rb, "_deleted": true},
			}}).want(201)
			for _, res := range objs(t, decodeAny(t, r.Body), "_bulk_docs") {
				if res["ok"] != true {
					t.Errorf("result %v", res)
				}
			}
			if num(db.get("/a")["v"]) != 2 {
				t.Errorf("a not updated")
			}
			db.req("GET", "/b", nil).wantErr("not_found", 404)
		}},
		{name: "NewEditsFalseWinner", run: testWinnerRules},
	}
}

func testBulkResults(t *testing.T, db *tdb) {
	db.put("taken", map[string]any{})
	r := db.req("POST", "/_bulk_docs", map[string]any{"docs": []any{
		map[string]any{"_id": "new", "v": 1},
		map[string]any{"v": 2},
		map[string]any{"_id": "taken", "v": 3},
	}}).want(201)
	res := objs(t, decodeAny(t, r.Body), "_bulk_docs")
	if len(res) != 3 {
		t.Fatalf("%d results, want 3: %s", len(res), r.Body)
	}
	if !db.Hearth || db.OverPouchDB {
		// pouchdb-server sometimes answers out of order (and Hearth over it
		// passes its answer on); CouchDB keeps the order of the request.
		res = byID(res, "new", "", "taken")
	}
	if res[0]["id"] != "new" || res[0]["ok"] != true || res[0]["rev"] == nil {
		t.Errorf("result 0 = %v", res[0])
	}
	if id, _ := res[1]["id"].(string); id == "" || res[1]["ok"] != true {
		t.Errorf("result 1 = %v", res[1])
	}
	if res[2]["id"] != "taken" || res[2]["error"] != "conflict" || res[2]["ok"] != nil {
		t.Errorf("result 2 = %v, want a conflict", res[2])
	}
	if num(db.get("")["doc_count"]) != 3 {
		t.Errorf("doc_count after bulk = %v", db.get("")["doc_count"])
	}
}

// testWinnerRules checks CouchDB's choice of the winning revision among
// leaves: the highest generation; on a tie the greatest rev string;
// and a live leaf before any deleted one.
func testWinnerRules(t *testing.T, db *tdb) {
	root := hexRev(1, "1")
	cases := []struct {
		id        string
		docs      []map[string]any
		winner    string
		conflicts []string
	}{
		{"higher-gen", []map[string]any{
			branch{hexRev(3, "a"), hexRev(2, "a"), root}.doc("higher-gen", nil),
			branch{hexRev(2, "f"), root}.doc("higher-gen", nil),
		}, hexRev(3, "a"), []string{hexRev(2, "f")}},
		{"same-gen", []map[string]any{
			branch{hexRev(2, "c"), root}.doc("same-gen", nil),
			branch{hexRev(2, "d"), root}.doc("same-gen", nil),
			branch{hexRev(2, "b"), root}.doc("same-gen", nil),
		}, hexRev(2, "d"), []string{hexRev(2, "c"), hexRev(2, "b")}},
		{"live-beats-deleted", []map[string]any{
			branch{hexRev(3, "f"), hexRev(2, "f"), root}.doc("live-beats-deleted", map[string]any{"_deleted": true}),
			branch{hexRev(2, "a"), root}.doc("live-beats-deleted", nil),
		}, hexRev(2, "a"), nil},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			sub := &tdb{t: t, Target: db.Target}
			sub.replicate(c.docs...)
			doc := sub.get("/" + c.id + "?conflicts=true")
			if doc["_rev"] != c.winner {
				t.Errorf("winner %v, want %s", doc["_rev"], c.winner)
			}
			var got []string
			if doc["_conflicts"] != nil {
				got = strs(t, doc["_conflicts"], "_conflicts")
			}
			// CouchDB lists leaves newest first, pouchdb-server oldest
			// first; clients treat the list as a set.
			eq(t, "_conflicts", sorted(got), sorted(c.conflicts))
		})
	}
}

func replicationCases() []testCase {
	return []testCase{
		{name: "BulkGet", run: testBulkGet},
		{name: "RevsDiff", run: func(t *testing.T, db *tdb) {
			rev := db.put("a", map[string]any{})
			m := db.req("POST", "/_revs_diff", map[string]any{
				"a": []string{rev, hexRev(9, "9")},
				"x": []string{hexRev(1, "1")},
			}).want(200).obj()
			a, _ := m["a"].(map[string]any)
			x, _ := m["x"].(map[string]any)
			if a == nil || x == nil {
				t.Fatalf("_revs_diff = %v", m)
			}
			eq(t, "a.missing", strs(t, a["missing"], "a.missing"), []string{hexRev(9, "9")})
			eq(t, "x.missing", strs(t, x["missing"], "x.missing"), []string{hexRev(1, "1")})
		}},
		{name: "RevsDiffNothingMissing", run: func(t *testing.T, db *tdb) {
			rev := db.put("a", map[string]any{})
			if m := db.req("POST", "/_revs_diff", map[string]any{"a": []string{rev}}).want(200).obj(); len(m) != 0 {
				t.Errorf("_revs_diff = %v, want {}", m)
			}
		}},
	}
}

func testBulkGet(t *testing.T, db *tdb) {
	ra := db.put("a", map[string]any{"v": "a"})
	rb1 := db.put("b", map[string]any{"v": "b1"})
	db.put("b", map[string]any{"_rev": rb1, "v": "b2"})
	m := db.req("POST", "/_bulk_get?revs=true", map[string]any{"docs": []any{
		map[string]any{"id": "a"},
		map[string]any{"id": "b", "rev": rb1},
		map[string]any{"id": "nope"},
	}}).want(200).obj()
	res := objs(t, m["results"], "results")
	if len(res) != 3 {
		t.Fatalf("%d results, want 3: %v", len(res), m)
	}
	eq(t, "ids", field(res, "id"), []string{"a", "b", "nope"})
	okDoc := func(i int) map[string]any {
		docs := objs(t, res[i]["docs"], "docs")
		if len(docs) != 1 {
			t.Fatalf("result %d: %v", i, res[i])
		}
		doc, _ := docs[0]["ok"].(map[string]any)
		return doc
	}
	if a := okDoc(0); a["_rev"] != ra || a["_revisions"] == nil {
		t.Errorf("a = %v, want rev %s with _revisions", a, ra)
	}
	if b := okDoc(1); b["_rev"] != rb1 || b["v"] != "b1" {
		t.Errorf("b = %v, want rev %s", b, rb1)
	}
	docs := objs(t, res[2]["docs"], "docs")
	if len(docs) != 1 || docs[0]["ok"] != nil {
		t.Fatalf("missing doc result = %v", docs)
	}
	// pouchdb-server answers {} for a missing doc; CouchDB an error object.
	if e, _ := docs[0]["error"].(map[string]any); db.Hearth && (e == nil || e["error"] != "not_found") {
		t.Errorf("missing doc result = %v, want error not_found", docs)
	}
}

// byID orders results as ids, where "" stands for any other id.
func byID(res []map[string]any, ids ...string) []map[string]any {
	out := make([]map[string]any, len(ids))
	known := map[any]bool{}
	for _, id := range ids {
		known[id] = true
	}
	for i, id := range ids {
		for _, r := range res {
			if r["id"] == id || (id == "" && !known[r["id"]]) {
				out[i] = r
			}
		}
	}
	return out
}
