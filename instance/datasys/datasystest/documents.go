package datasystest

import (
	"encoding/json"
	"strings"
	"testing"
)

func dbInfoCases() []testCase {
	return []testCase{
		{name: "Empty", run: func(t *testing.T, db *tdb) {
			info := db.get("")
			if num(info["doc_count"]) != 0 {
				t.Errorf("doc_count = %v, want 0", info["doc_count"])
			}
			if _, ok := info["update_seq"]; !ok {
				t.Errorf("update_seq missing: %v", info)
			}
		}},
		{name: "CountsAndSeq", run: func(t *testing.T, db *tdb) {
			before := db.get("")["update_seq"]
			rev := db.put("a", map[string]any{})
			db.put("b", map[string]any{})
			db.req("DELETE", "/a?rev="+rev, nil).want(200)
			info := db.get("")
			if num(info["doc_count"]) != 1 {
				t.Errorf("doc_count = %v, want 1", info["doc_count"])
			}
			// CouchDB's update_seq is an opaque string, pouchdb-server's a
			// number: only compare encodings.
			if mustJSON(t, before) == mustJSON(t, info["update_seq"]) {
				t.Errorf("update_seq did not change: %v", before)
			}
		}},
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func documentCases() []testCase {
	return []testCase{
		{name: "PostServerID", run: testPostServerID},
		{name: "PutGet", run: testPutGet},
		{name: "Head", run: testHead},
		{name: "UpdateNeedsCurrentRev", run: testUpdateConflicts},
		{name: "DeleteWithRev", run: testDelete},
		{name: "DeleteWithIfMatch", run: func(t *testing.T, db *tdb) {
			rev := db.put("a", map[string]any{})
			m := db.req("DELETE", "/a", nil, "If-Match", rev).want(200).obj()
			if m["ok"] != true || gen(t, m["rev"].(string)) != 2 {
				t.Errorf("DELETE If-Match: %v", m)
			}
		}},
		{name: "DeleteStaleRev", run: func(t *testing.T, db *tdb) {
			rev1 := db.put("a", map[string]any{})
			rev2 := db.put("a", map[string]any{"_rev": rev1})
			r := db.req("DELETE", "/a?rev="+rev1, nil)
			if db.Hearth {
				r.wantErr("conflict", 409)
			} else {
				// pouchdb-server answers 404 where CouchDB answers 409;
				// either way nothing is deleted.
				r.wantErr("", 404, 409)
			}
			if got := db.get("/a")["_rev"]; got != rev2 {
				t.Errorf("_rev after stale DELETE = %v, want %s", got, rev2)
			}
		}},
		// pouchdb-server deletes the current revision when DELETE has no rev.
		{name: "DeleteWithoutRev", hearth: true, run: func(t *testing.T, db *tdb) {
			db.put("a", map[string]any{})
			db.req("DELETE", "/a", nil).wantErr("conflict", 409)
			db.get("/a")
		}},
		{name: "Missing", run: func(t *testing.T, db *tdb) {
			m := db.req("GET", "/nope", nil).wantErr("not_found", 404)
			if m["reason"] != "missing" {
				t.Errorf("reason = %v, want missing", m["reason"])
			}
			db.req("HEAD", "/nope", nil).want(404)
		}},
		{name: "GetOldRev", run: func(t *testing.T, db *tdb) {
			rev1 := db.put("a", map[string]any{"v": "one"})
			db.put("a", map[string]any{"_rev": rev1, "v": "two"})
			if got := db.get("/a?rev=" + rev1); got["v"] != "one" || got["_rev"] != rev1 {
				t.Errorf("GET ?rev=%s = %v", rev1, got)
			}
			db.req("GET", "/a?rev=1-00000000000000000000000000000000", nil).wantErr("not_found", 404)
		}},
		{name: "RecreateAfterDelete", run: func(t *testing.T, db *tdb) {
			rev := db.put("a", map[string]any{"v": 1})
			db.req("DELETE", "/a?rev="+rev, nil).want(200)
			rev3 := db.put("a", map[string]any{"v": 2})
			if gen(t, rev3) != 3 {
				t.Errorf("recreated rev = %s, want generation 3", rev3)
			}
			if got := db.get("/a"); num(got["v"]) != 2 || got["_deleted"] != nil {
				t.Errorf("recreated doc = %v", got)
			}
		}},
	}
}

func testPostServerID(t *testing.T, db *tdb) {
	m := db.req("POST", "", map[string]any{"k": "v"}).want(201, 202).obj()
	id, _ := m["id"].(string)
	rev, _ := m["rev"].(string)
	if m["ok"] != true || id == "" || !strings.HasPrefix(rev, "1-") {
		t.Fatalf("POST: %v", m)
	}
	if got := db.get("/" + esc(id)); got["k"] != "v" || got["_rev"] != rev {
		t.Errorf("GET posted doc = %v", got)
	}
	n := db.req("POST", "", map[string]any{"_id": "chosen", "k": 2}).want(201, 202).obj()
	if n["id"] != "chosen" {
		t.Errorf("POST with _id: id = %v", n["id"])
	}
}

func testPutGet(t *testing.T, db *tdb) {
	doc := map[string]any{"s": "é\u2028", "n": 1.5, "b": true, "z": nil,
		"a": []any{1.0, "x"}, "o": map[string]any{"k": "v"}}
	rev := db.put("a", doc)
	if gen(t, rev) != 1 {
		t.Errorf("rev = %s, want generation 1", rev)
	}
	got := db.get("/a")
	if got["_id"] != "a" || got["_rev"] != rev {
		t.Errorf("_id/_rev = %v/%v", got["_id"], got["_rev"])
	}
	delete(got, "_id")
	delete(got, "_rev")
	if mustJSON(t, got) != mustJSON(t, doc) {
		t.Errorf("body = %s, want %s", mustJSON(t, got), mustJSON(t, doc))
	}
}

func testHead(t *testing.T, db *tdb) {
	rev := db.put("a", map[string]any{"x": 1})
	r := db.req("HEAD", "/a", nil).want(200)
	if len(r.Body) != 0 {
		t.Errorf("HEAD has a body: %q", r.Body)
	}
	// pouchdb-server sends Express's weak ETag; CouchDB (and kivik's GetRev)
	// use the quoted rev.
	if db.Hearth && r.Header.Get("ETag") != `"`+rev+`"` {
		t.Errorf("ETag = %q, want %q", r.Header.Get("ETag"), `"`+rev+`"`)
	}
}

func testUpdateConflicts(t *testing.T, db *tdb) {
	rev1 := db.put("a", map[string]any{"v": 1})
	db.req("PUT", "/a", map[string]any{"v": 2}).wantErr("conflict", 409)
	rev2 := db.put("a", map[string]any{"_rev": rev1, "v": 2})
	if gen(t, rev2) != 2 {
		t.Errorf("rev2 = %s", rev2)
	}
	db.req("PUT", "/a", map[string]any{"_rev": rev1, "v": 3}).wantErr("conflict", 409)
	if got := db.get("/a"); num(got["v"]) != 2 {
		t.Errorf("v = %v after conflicts, want 2", got["v"])
	}
}

func testDelete(t *testing.T, db *tdb) {
	rev := db.put("a", map[string]any{"v": 1})
	m := db.req("DELETE", "/a?rev="+rev, nil).want(200).obj()
	if m["ok"] != true || m["id"] != "a" || gen(t, m["rev"].(string)) != 2 {
		t.Errorf("DELETE: %v", m)
	}
	e := db.req("GET", "/a", nil).wantErr("not_found", 404)
	// pouchdb-server gives reason "missing" for deleted documents too.
	if db.Hearth && !db.OverPouchDB && e["reason"] != "deleted" {
		t.Errorf("reason = %v, want deleted", e["reason"])
	}
	db.req("HEAD", "/a", nil).want(404)
	old := db.get("/a?rev=" + m["rev"].(string))
	if old["_deleted"] != true {
		t.Errorf("GET deleted rev = %v, want _deleted", old)
	}
}
