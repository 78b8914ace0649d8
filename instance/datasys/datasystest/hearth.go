package datasystest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// maxDocSize is the largest document body Hearth accepts.
const maxDocSize = 8 << 20

func hearthCases() []testCase {
	return []testCase{
		{name: "DesignDocRefused", hearth: true, run: testDesignRefused},
		{name: "DocTooLarge", hearth: true, run: func(t *testing.T, db *tdb) {
			before := db.snapshot()
			big := map[string]any{"pad": strings.Repeat("x", maxDocSize+1024)}
			db.req("PUT", "/big", big).wantErr("", http.StatusRequestEntityTooLarge)
			// CouchDB refuses an oversized doc in _bulk_docs either for the
			// whole request (413) or in that doc's result (too_large).
			r := db.req("POST", "/_bulk_docs", map[string]any{"docs": []any{big}})
			if r.Status != http.StatusRequestEntityTooLarge {
				r.want(http.StatusCreated)
				res := objs(t, decodeAny(t, r.Body), "_bulk_docs")
				if len(res) != 1 || res[0]["error"] == nil {
					t.Errorf("_bulk_docs with an oversized doc = %s", clip(r.Body))
				}
			}
			db.sameSnapshot(before)
		}},
		{name: "OddIDs", hearth: true, run: testOddIDs},
		{name: "BadInputStrict", hearth: true, run: func(t *testing.T, db *tdb) {
			db.put("a", map[string]any{"v": 1})
			before := db.snapshot()
			// pouchdb-server fails these with 500 and an HTML page.
			db.req("POST", "/_bulk_docs", map[string]any{"docs": 5}).wantErr("bad_request", 400)
			db.req("POST", "/_bulk_docs", map[string]any{}).wantErr("bad_request", 400)
			db.req("POST", "/_bulk_get", map[string]any{"docs": "x"}).wantErr("", 400)
			db.req("POST", "/_revs_diff", raw(`[1]`)).wantErr("", 400)
			db.req("POST", "/_all_docs", map[string]any{"keys": "a"}).wantErr("", 400)
			db.sameSnapshot(before)
		}},
	}
}

func testDesignRefused(t *testing.T, db *tdb) {
	db.put("a", map[string]any{})
	before := db.snapshot()
	ddoc := map[string]any{"views": map[string]any{"v": map[string]any{"map": "function(doc){emit(doc._id)}"}}}
	db.req("PUT", "/_design/x", ddoc).wantErr("", 400, 403)
	db.req("PUT", "/_design%2Fx", ddoc).wantErr("", 400, 403)
	r := db.req("POST", "/_bulk_docs", map[string]any{"docs": []any{
		map[string]any{"_id": "_design/y", "views": ddoc["views"]},
	}})
	if r.Status < 300 {
		res := objs(t, decodeAny(t, r.Body), "_bulk_docs")
		if len(res) != 1 || res[0]["error"] == nil {
			t.Errorf("_bulk_docs with a design doc = %s, want an error", r.Body)
		}
	} else {
		r.wantErr("", 400, 403)
	}
	if st := db.req("GET", "/_design/x", nil).Status; st < 400 || st >= 500 {
		t.Errorf("GET _design/x: status %d, want 4xx", st)
	}
	db.sameSnapshot(before)
}

// testOddIDs checks that unusual ids are refused with a clear 4xx or
// stored and read back exactly, never a 5xx.
func testOddIDs(t *testing.T, db *tdb) {
	ids := []string{"..", ".", "a/b", "a%2Fb", "a?b#c", "sp ace", "ünïcødé", "\t",
		strings.Repeat("k", 10<<10), "-", "a\x00b"}
	for i, id := range ids {
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			sub := &tdb{t: t, Target: db.Target}
			r := sub.req("PUT", "/"+pathEscape(id), map[string]any{"i": i})
			switch {
			case r.Status >= 500:
				t.Fatalf("PUT %.40q: status %d: %s", id, r.Status, clip(r.Body))
			case r.Status >= 400:
				r.wantErr("", r.Status)
				return
			}
			doc := sub.get("/" + pathEscape(id))
			if doc["_id"] != id || num(doc["i"]) != i {
				t.Errorf("GET %.40q = %.200v", id, doc)
			}
			res := sub.req("POST", "/_all_docs", map[string]any{"keys": []string{id}}).want(200).obj()
			if got := field(rows(t, res), "id"); len(got) != 1 || got[0] != id {
				t.Errorf("_all_docs keys=[%.40q] ids = %.80q", id, got)
			}
		})
	}
}
