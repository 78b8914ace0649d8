package datasystest

import (
	"fmt"
	"testing"
)

// seqParam formats a seq from a response (string or number) for since=.
func seqParam(t *testing.T, seq any) string {
	t.Helper()
	switch s := seq.(type) {
	case string:
		return s
	case float64:
		return fmt.Sprint(int64(s))
	}
	t.Fatalf("seq %#v is neither a string nor a number", seq)
	return ""
}

// putN creates doc000…doc(n-1) with {"n": i} one at a time, so that their
// order in _changes is known (a _bulk_docs batch has no defined order).
func (d *tdb) putN(n int) []string {
	d.t.Helper()
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("doc%03d", i)
		d.put(ids[i], map[string]any{"n": i})
	}
	return ids
}

// changes GETs _changes with query and returns the results.
func (d *tdb) changes(query string) (results []map[string]any, lastSeq any) {
	d.t.Helper()
	m := d.get("/_changes?" + query)
	if _, ok := m["last_seq"]; !ok {
		d.t.Errorf("_changes?%s: no last_seq: %v", query, m)
	}
	return objs(d.t, m["results"], "results"), m["last_seq"]
}

// changeRevs returns the revs listed in a change row.
func changeRevs(t *testing.T, row map[string]any) []string {
	t.Helper()
	return field(objs(t, row["changes"], "changes"), "rev")
}

func changesCases() []testCase {
	return []testCase{
		{name: "Normal", run: testChangesNormal},
		{name: "Since", run: func(t *testing.T, db *tdb) {
			ids := db.putN(4)
			all, _ := db.changes("")
			res, _ := db.changes("since=" + seqParam(t, all[1]["seq"]))
			eq(t, "ids", field(res, "id"), ids[2:])
			res, _ = db.changes("since=0")
			eq(t, "ids since=0", field(res, "id"), ids)
		}},
		{name: "Limit", run: func(t *testing.T, db *tdb) {
			ids := db.putN(4)
			res, last := db.changes("limit=2")
			eq(t, "ids", field(res, "id"), ids[:2])
			rest, _ := db.changes("since=" + seqParam(t, last))
			eq(t, "ids after last_seq", field(rest, "id"), ids[2:])
		}},
		{name: "IncludeDocs", run: func(t *testing.T, db *tdb) {
			rev := db.put("a", map[string]any{"v": 1})
			res, _ := db.changes("include_docs=true")
			doc, _ := res[0]["doc"].(map[string]any)
			if doc["_rev"] != rev || num(doc["v"]) != 1 {
				t.Errorf("doc = %v", res[0]["doc"])
			}
		}},
		{name: "Descending", run: func(t *testing.T, db *tdb) {
			db.putN(3)
			res, _ := db.changes("descending=true")
			eq(t, "ids", field(res, "id"), []string{"doc002", "doc001", "doc000"})
		}},
		{name: "StyleAllDocs", run: func(t *testing.T, db *tdb) {
			loser, winner := db.conflicted()
			res, _ := db.changes("style=all_docs")
			eq(t, "revs", sorted(changeRevs(t, res[0])), []string{loser, winner})
			res, _ = db.changes("")
			eq(t, "main_only revs", changeRevs(t, res[0]), []string{winner})
		}},
		{name: "DocIDsGet", run: func(t *testing.T, db *tdb) {
			db.putN(4)
			res, _ := db.changes("filter=_doc_ids&doc_ids=" + jq([]string{"doc003", "doc001"}))
			eq(t, "ids", field(res, "id"), []string{"doc001", "doc003"})
		}},
		{name: "DocIDsPost", run: func(t *testing.T, db *tdb) {
			db.putN(4)
			m := db.req("POST", "/_changes?filter=_doc_ids", map[string]any{"doc_ids": []string{"doc002"}}).want(200).obj()
			eq(t, "ids", field(objs(t, m["results"], "results"), "id"), []string{"doc002"})
		}},
		// pouchdb-server has no _selector filter.
		{name: "Selector", hearth: true, run: func(t *testing.T, db *tdb) {
			db.putN(4)
			m := db.req("POST", "/_changes?filter=_selector&include_docs=true", map[string]any{
				"selector": map[string]any{"n": map[string]any{"$gte": 2}},
			}).want(200).obj()
			eq(t, "ids", field(objs(t, m["results"], "results"), "id"), []string{"doc002", "doc003"})
		}},
	}
}

func testChangesNormal(t *testing.T, db *tdb) {
	ra := db.put("a", map[string]any{})
	rb := db.put("b", map[string]any{})
	db.put("c", map[string]any{})
	ra2 := db.put("a", map[string]any{"_rev": ra})
	del := db.req("DELETE", "/b?rev="+rb, nil).want(200).obj()
	res, last := db.changes("")
	eq(t, "ids", field(res, "id"), []string{"c", "a", "b"})
	eq(t, "a revs", changeRevs(t, res[1]), []string{ra2})
	if res[2]["deleted"] != true || changeRevs(t, res[2])[0] != del["rev"] {
		t.Errorf("deleted row = %v", res[2])
	}
	if res[0]["deleted"] != nil {
		t.Errorf("live row has deleted: %v", res[0])
	}
	if mustJSON(t, last) != mustJSON(t, res[2]["seq"]) {
		t.Errorf("last_seq %v, want the last row's seq %v", last, res[2]["seq"])
	}
}
