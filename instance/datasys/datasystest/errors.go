package datasystest

import (
	"testing"
)

// badInput is a request that must fail with status and CouchDB error name
// (any name when errName is empty).
type badInput struct {
	name, method, path string
	body               any
	status             int
	errName            string
	pouchStatus        int // status pouchdb-server answers instead, if it differs
}

// badInputs are requests every CouchDB-compatible server refuses.
// pouchdb-server answers doc_validation errors with 500 instead of 400; the
// error body is the same, which is what clients look at.
func badInputs(rev string) []badInput {
	return []badInput{
		{"malformed JSON doc", "PUT", "/a", raw(`{"v":`), 400, "bad_request", 0},
		{"malformed JSON post", "POST", "", raw(`{bad`), 400, "bad_request", 0},
		{"malformed JSON bulk", "POST", "/_bulk_docs", raw(`{"docs":[`), 400, "bad_request", 0},
		{"malformed JSON find", "POST", "/_find", raw(`{"selector":`), 400, "bad_request", 0},
		{"array doc", "PUT", "/a", raw(`[1,2]`), 400, "bad_request", 0},
		{"string doc", "PUT", "/a", raw(`"doc"`), 400, "bad_request", 0},
		{"array post", "POST", "", raw(`[]`), 400, "bad_request", 0},
		{"invalid rev", "PUT", "/a", map[string]any{"_rev": "bogus", "v": 9}, 400, "bad_request", 0},
		{"unknown underscore field", "PUT", "/a", map[string]any{"_rev": rev, "_foo": 1}, 400, "doc_validation", 500},
		{"unknown underscore field in bulk", "POST", "/_bulk_docs",
			map[string]any{"docs": []any{map[string]any{"_id": "z", "_zz": 1}}}, 400, "doc_validation", 500},
		{"reserved id", "PUT", "/_foo", map[string]any{}, 400, "bad_request", 0},
		{"stale rev", "PUT", "/a", map[string]any{"_rev": "1-00000000000000000000000000000000"}, 409, "conflict", 0},
	}
}

func errorCases() []testCase {
	return []testCase{
		{name: "BadInput", run: func(t *testing.T, db *tdb) {
			rev := db.put("a", map[string]any{"v": 1})
			before := db.snapshot()
			for _, in := range badInputs(rev) {
				t.Run(in.name, func(t *testing.T) {
					sub := &tdb{t: t, Target: db.Target}
					codes := []int{in.status}
					if in.pouchStatus != 0 && !db.Hearth {
						codes = append(codes, in.pouchStatus)
					}
					sub.req(in.method, in.path, in.body).wantErr(in.errName, codes...)
				})
			}
			db.sameSnapshot(before)
		}},
	}
}

// snapshot is every document with its body, and the update sequence.
type snapshot struct {
	docs, seq string
}

func (d *tdb) snapshot() snapshot {
	d.t.Helper()
	docs := d.get("/_all_docs?include_docs=true&conflicts=true")
	return snapshot{docs: mustJSON(d.t, docs), seq: mustJSON(d.t, d.get("")["update_seq"])}
}

// sameSnapshot fails the test if anything stored changed since before.
func (d *tdb) sameSnapshot(before snapshot) {
	d.t.Helper()
	after := d.snapshot()
	if after.docs != before.docs {
		d.t.Errorf("documents changed after bad input:\nbefore %s\nafter  %s", before.docs, after.docs)
	}
	if after.seq != before.seq {
		d.t.Errorf("update_seq changed after bad input: %s → %s", before.seq, after.seq)
	}
}
