package datasystest

import (
	"fmt"
	"strings"
	"testing"
)

// hexRev returns the revision gen-cccc… (32 times c), a valid CouchDB rev.
func hexRev(gen int, c string) string {
	return fmt.Sprintf("%d-%s", gen, strings.Repeat(c, 32))
}

// branch is one revision path of a document, newest first:
// branch{"3-…", "2-…", "1-…"}.
type branch []string

// doc returns the document body at the branch's leaf, with _revisions.
func (b branch) doc(id string, body map[string]any) map[string]any {
	ids := make([]any, len(b))
	for i, rev := range b {
		_, hash, _ := strings.Cut(rev, "-")
		ids[i] = hash
	}
	doc := map[string]any{"_id": id, "_rev": b[0],
		"_revisions": map[string]any{"start": len(b), "ids": ids}}
	for k, v := range body {
		doc[k] = v
	}
	return doc
}

// replicate stores docs as they are, with new_edits=false.
func (d *tdb) replicate(docs ...map[string]any) {
	d.t.Helper()
	all := make([]any, len(docs))
	for i, doc := range docs {
		all[i] = doc
	}
	r := d.req("POST", "/_bulk_docs", map[string]any{"docs": all, "new_edits": false}).want(201)
	for _, res := range objs(d.t, decodeAny(d.t, r.Body), "_bulk_docs new_edits=false") {
		if res["error"] != nil {
			d.t.Fatalf("new_edits=false: %v", res)
		}
	}
}

// conflicted stores doc "c" with two leaves, 2-aaa… and 2-bbb… (the winner),
// and returns them.
func (d *tdb) conflicted() (loser, winner string) {
	d.t.Helper()
	root := hexRev(1, "1")
	loser, winner = hexRev(2, "a"), hexRev(2, "b")
	d.replicate(branch{loser, root}.doc("c", map[string]any{"side": "a"}),
		branch{winner, root}.doc("c", map[string]any{"side": "b"}))
	return loser, winner
}

func revisionCases() []testCase {
	return []testCase{
		{name: "Revs", run: func(t *testing.T, db *tdb) {
			rev := db.put("a", map[string]any{})
			rev = db.put("a", map[string]any{"_rev": rev})
			rev = db.put("a", map[string]any{"_rev": rev})
			revs, _ := db.get("/a?revs=true")["_revisions"].(map[string]any)
			ids := strs(t, revs["ids"], "_revisions.ids")
			if num(revs["start"]) != 3 || len(ids) != 3 || "3-"+ids[0] != rev {
				t.Errorf("_revisions = %v, rev %s", revs, rev)
			}
		}},
		{name: "OpenRevsAll", run: func(t *testing.T, db *tdb) {
			loser, winner := db.conflicted()
			r := db.req("GET", "/c?open_revs=all", nil, "Accept", "application/json").want(200)
			var got []string
			for _, e := range objs(t, decodeAny(t, r.Body), "open_revs") {
				ok, _ := e["ok"].(map[string]any)
				rev, _ := ok["_rev"].(string)
				got = append(got, rev)
			}
			eq(t, "open_revs=all revs", sorted(got), []string{loser, winner})
		}},
		{name: "OpenRevsList", run: func(t *testing.T, db *tdb) {
			loser, _ := db.conflicted()
			missing := hexRev(7, "f")
			r := db.req("GET", "/c?open_revs="+jq([]string{loser, missing}), nil,
				"Accept", "application/json").want(200)
			res := objs(t, decodeAny(t, r.Body), "open_revs")
			if len(res) != 2 {
				t.Fatalf("open_revs: %d results, want 2: %s", len(res), r.Body)
			}
			var okRev, missRev string
			for _, e := range res {
				if ok, _ := e["ok"].(map[string]any); ok != nil {
					okRev, _ = ok["_rev"].(string)
				}
				if m, _ := e["missing"].(string); m != "" {
					missRev = m
				}
			}
			if okRev != loser || missRev != missing {
				t.Errorf("open_revs: ok %q missing %q; body %s", okRev, missRev, r.Body)
			}
		}},
		{name: "Conflicts", run: func(t *testing.T, db *tdb) {
			loser, winner := db.conflicted()
			doc := db.get("/c?conflicts=true")
			if doc["_rev"] != winner || doc["side"] != "b" {
				t.Errorf("winner = %v, want %s", doc["_rev"], winner)
			}
			eq(t, "_conflicts", strs(t, doc["_conflicts"], "_conflicts"), []string{loser})
			if plain := db.get("/c"); plain["_conflicts"] != nil {
				t.Errorf("_conflicts without conflicts=true: %v", plain)
			}
		}},
		{name: "ResolveConflict", run: func(t *testing.T, db *tdb) {
			loser, winner := db.conflicted()
			db.req("DELETE", "/c?rev="+loser, nil).want(200)
			doc := db.get("/c?conflicts=true")
			if doc["_rev"] != winner || doc["_conflicts"] != nil {
				t.Errorf("after deleting the loser: %v", doc)
			}
		}},
	}
}
