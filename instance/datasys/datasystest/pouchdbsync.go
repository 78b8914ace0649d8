package datasystest

import (
	"encoding/json"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/hearth-cloud/hearth/internal/testsvc"
)

// Sizes of the PouchDB sync scenario.
const (
	syncLocalDocs  = 1000
	syncRemoteDocs = 50
)

// syncSummary is what testdata/pouchdb_sync.js prints.
type syncSummary struct {
	LocalDocs        int               `json:"local_docs"`
	RemoteDocs       int               `json:"remote_docs"`
	Pushed           int               `json:"pushed"`
	Pulled           int               `json:"pulled"`
	Mismatches       []json.RawMessage `json:"mismatches"`
	Conflict         struct{ Local, Remote *syncDocState }
	RemoteAttachment string `json:"remote_attachment"`
}

// syncDocState is one document's state on one side.
type syncDocState struct {
	Rev       string   `json:"rev"`
	Conflicts []string `json:"conflicts"`
	Digest    string   `json:"digest"`
}

// scriptPath returns the absolute path of a file in this package's testdata.
func scriptPath(t *testing.T, name string) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("datasystest: cannot locate the package source")
	}
	return filepath.Join(filepath.Dir(file), "testdata", name)
}

// RunPouchDBSync runs testdata/pouchdb_sync.js with npm's PouchDB against
// remoteURL, an empty database URL (for Hearth http://{instance}/data/{doctype}),
// sending token as a bearer token when not empty. It checks that 1,000
// documents with attachments go up, remote documents come down, and that
// after a conflict synced both ways both sides hold the same documents,
// winning revisions and _conflicts.
func RunPouchDBSync(t *testing.T, remoteURL, token string) {
	t.Helper()
	out := testsvc.Node(t, scriptPath(t, "pouchdb_sync.js"),
		"REMOTE_URL="+remoteURL, "REMOTE_TOKEN="+token, "WORK_DIR="+t.TempDir())
	var s syncSummary
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("pouchdb_sync.js output: %v: %s", err, clip(out))
	}
	t.Logf("pouchdb_sync.js: %s", clip(out))
	total := syncLocalDocs + syncRemoteDocs
	if s.LocalDocs != total || s.RemoteDocs != total {
		t.Errorf("documents: %d local, %d remote, want %d on both", s.LocalDocs, s.RemoteDocs, total)
	}
	if s.Pushed < syncLocalDocs || s.Pulled < syncRemoteDocs {
		t.Errorf("pushed %d (want ≥ %d), pulled %d (want ≥ %d)", s.Pushed, syncLocalDocs, s.Pulled, syncRemoteDocs)
	}
	if len(s.Mismatches) != 0 {
		t.Errorf("sides differ: %s", s.Mismatches)
	}
	l, r := s.Conflict.Local, s.Conflict.Remote
	if l == nil || r == nil || len(l.Conflicts) != 1 || len(r.Conflicts) != 1 || l.Rev != r.Rev {
		t.Errorf("conflict after syncing both ways: local %+v remote %+v, want one conflict, same winner", l, r)
	}
	if s.RemoteAttachment != "attachment of document 3" {
		t.Errorf("remote attachment = %q", s.RemoteAttachment)
	}
}
