// Package datasystest is the black-box conformance suite of the Data System:
// it checks over plain HTTP that a database URL speaks the CouchDB 3 API the
// way CouchDB clients (kivik, PouchDB) expect, and exports real-client
// scenarios (kivik replication, a PouchDB sync script) for the HTTP layer's
// tests.
//
// The suite is validated against pouchdb-server. Where pouchdb-server
// deviates from CouchDB in a way clients do not care about, assertions are
// loosened (with a comment); CouchDB behaviour that pouchdb-server lacks, and
// Hearth's own rules, are checked only when Target.Hearth is true.
package datasystest

import (
	"net/http"
	"testing"
)

// Target is one fresh, empty database to test.
type Target struct {
	URL    string       // database URL without trailing slash, e.g. http://127.0.0.1:P/io.hearth.t1
	Client *http.Client // adds auth if needed; nil means http.DefaultClient
	Hearth bool         // Hearth-only rules apply
	// OverPouchDB is set for Hearth on the CouchDB backend served by pouchdb-server: Hearth
	// passes on what that server answers for _all_docs offsets and the reason of a deleted
	// document, where it differs from CouchDB.
	OverPouchDB bool
}

// testCase is one conformance check run on its own fresh database.
type testCase struct {
	name   string
	hearth bool // run only when Target.Hearth is true
	run    func(t *testing.T, db *tdb)
}

// feature groups the cases checking one part of the API.
type feature struct {
	name  string
	cases []testCase
}

// features lists every part of the API the suite checks.
func features() []feature {
	return []feature{
		{"DBInfo", dbInfoCases()},
		{"Documents", documentCases()},
		{"Revisions", revisionCases()},
		{"AllDocs", allDocsCases()},
		{"BulkDocs", bulkDocsCases()},
		{"Replication", replicationCases()},
		{"Local", localCases()},
		{"Find", findCases()},
		{"Changes", changesCases()},
		{"ChangesFeeds", changesFeedCases()},
		{"Attachments", attachmentCases()},
		{"Errors", errorCases()},
		{"Hearth", hearthCases()},
	}
}

// Run runs every conformance test; newDB returns a new empty database for
// each subtest.
func Run(t *testing.T, newDB func(t *testing.T) Target) {
	for _, f := range features() {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range f.cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					target := newDB(t)
					if tc.hearth && !target.Hearth {
						t.Skip("Hearth-only rule")
					}
					tc.run(t, &tdb{t: t, Target: target})
				})
			}
		})
	}
}
