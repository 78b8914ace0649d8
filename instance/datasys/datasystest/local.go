package datasystest

import (
	"testing"
)

func localCases() []testCase {
	return []testCase{
		{name: "PutGetDelete", run: func(t *testing.T, db *tdb) {
			m := db.req("PUT", "/_local/ckpt", map[string]any{"seq": 1}).want(201).obj()
			rev, _ := m["rev"].(string)
			if m["ok"] != true || m["id"] != "_local/ckpt" || rev == "" {
				t.Fatalf("PUT _local: %v", m)
			}
			doc := db.get("/_local/ckpt")
			if doc["_id"] != "_local/ckpt" || num(doc["seq"]) != 1 {
				t.Errorf("GET _local = %v", doc)
			}
			db.req("PUT", "/_local/ckpt", map[string]any{"_rev": rev, "seq": 2}).want(201)
			if num(db.get("/_local/ckpt")["seq"]) != 2 {
				t.Errorf("_local doc not updated")
			}
			cur, _ := db.get("/_local/ckpt")["_rev"].(string)
			db.req("DELETE", "/_local/ckpt?rev="+cur, nil).want(200)
			db.req("GET", "/_local/ckpt", nil).wantErr("not_found", 404)
		}},
		{name: "Hidden", run: func(t *testing.T, db *tdb) {
			db.req("PUT", "/_local/x", map[string]any{"v": 1}).want(201)
			db.put("a", map[string]any{})
			eq(t, "_all_docs ids", field(rows(t, db.get("/_all_docs")), "id"), []string{"a"})
			ch := objs(t, db.get("/_changes")["results"], "results")
			eq(t, "_changes ids", field(ch, "id"), []string{"a"})
			if n := num(db.get("")["doc_count"]); n != 1 {
				t.Errorf("doc_count = %d, want 1", n)
			}
		}},
		{name: "Missing", run: func(t *testing.T, db *tdb) {
			db.req("GET", "/_local/nope", nil).wantErr("not_found", 404)
		}},
	}
}
