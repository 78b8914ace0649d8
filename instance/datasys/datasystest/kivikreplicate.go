package datasystest

import (
	"context"
	"testing"
	"time"

	"github.com/go-kivik/kivik/v4"
)

func kivikChanges(ctx context.Context, t *testing.T, env *kivikEnv) {
	ch := env.db.Changes(ctx, kivik.IncludeDocs())
	seen, deleted := map[string]bool{}, map[string]bool{}
	for ch.Next() {
		seen[ch.ID()] = true
		deleted[ch.ID()] = ch.Deleted()
	}
	if err := ch.Err(); err != nil {
		t.Fatalf("Changes: %v", err)
	}
	meta, err := ch.Metadata()
	if err != nil || meta.LastSeq == "" {
		t.Fatalf("Changes metadata: %v %v", meta, err)
	}
	if !seen["doc-1"] || !seen["bulk-19"] || !deleted["doc-2"] || deleted["doc-1"] {
		t.Errorf("changes: seen %v deleted %v", seen, deleted)
	}
	got := make(chan string, 1)
	go func() {
		lp := env.db.Changes(ctx, kivik.Params(map[string]any{
			"feed": "longpoll", "since": meta.LastSeq, "timeout": 60000}))
		defer lp.Close()
		id := ""
		if lp.Next() {
			id = lp.ID()
		}
		got <- id
	}()
	if _, err := env.db.Put(ctx, "late", map[string]any{"n": 0}); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-got:
		if id != "late" {
			t.Errorf("longpoll returned %q, want late", id)
		}
	case <-time.After(feedWait):
		t.Error("longpoll did not return after a write")
	}
}

// replicate runs kivik's client-side replication and checks it wrote docs.
func replicate(ctx context.Context, t *testing.T, target, source *kivik.DB) {
	t.Helper()
	res, err := kivik.Replicate(ctx, target, source)
	if err != nil {
		t.Fatalf("Replicate %s → %s: %v", source.Name(), target.Name(), err)
	}
	if res.DocWriteFailures != 0 {
		t.Fatalf("Replicate %s → %s: %+v", source.Name(), target.Name(), res)
	}
}

func kivikReplicateOut(ctx context.Context, t *testing.T, env *kivikEnv) {
	replicate(ctx, t, env.other, env.db)
	sameRevs(ctx, t, env.db, env.other)
	checkKivikAttachment(ctx, t, env.other, "doc-1", "notes/hello.txt", "hello, hearth")
	if err := env.other.Get(ctx, "doc-2").Err(); kivik.HTTPStatus(err) != 404 {
		t.Errorf("deleted doc-2 on the peer: %v, want 404", err)
	}
}

func kivikReplicateBack(ctx context.Context, t *testing.T, env *kivikEnv) {
	if _, err := env.other.Put(ctx, "from-other", map[string]any{"n": 7}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.other.Put(ctx, "bulk-00", map[string]any{"_rev": env.revs["bulk-00"], "n": 1000}); err != nil {
		t.Fatal(err)
	}
	replicate(ctx, t, env.db, env.other)
	sameRevs(ctx, t, env.db, env.other)
	var doc map[string]any
	if err := env.db.Get(ctx, "bulk-00").ScanDoc(&doc); err != nil || num(doc["n"]) != 1000 {
		t.Errorf("bulk-00 after replicating back: %v %v", doc, err)
	}
}

func kivikConflict(ctx context.Context, t *testing.T, env *kivikEnv) {
	rev := env.revs["bulk-01"]
	for i, db := range []*kivik.DB{env.db, env.other} {
		if _, err := db.Put(ctx, "bulk-01", map[string]any{"_rev": rev, "side": i}); err != nil {
			t.Fatalf("edit on side %d: %v", i, err)
		}
	}
	replicate(ctx, t, env.other, env.db)
	replicate(ctx, t, env.db, env.other)
	sameRevs(ctx, t, env.db, env.other)
	var a, b struct {
		Rev       string   `json:"_rev"`
		Conflicts []string `json:"_conflicts"`
	}
	if err := env.db.Get(ctx, "bulk-01", kivik.Param("conflicts", true)).ScanDoc(&a); err != nil {
		t.Fatal(err)
	}
	if err := env.other.Get(ctx, "bulk-01", kivik.Param("conflicts", true)).ScanDoc(&b); err != nil {
		t.Fatal(err)
	}
	if a.Rev != b.Rev || len(a.Conflicts) != 1 || mustJSON(t, sorted(a.Conflicts)) != mustJSON(t, sorted(b.Conflicts)) {
		t.Errorf("after syncing a conflict: %+v vs %+v, want the same winner and one conflict", a, b)
	}
}

// sameRevs checks that both databases hold the same documents at the same
// winning revisions.
func sameRevs(ctx context.Context, t *testing.T, a, b *kivik.DB) {
	t.Helper()
	ra, rb := revMap(ctx, t, a), revMap(ctx, t, b)
	if len(ra) == 0 || mustJSON(t, ra) != mustJSON(t, rb) {
		t.Errorf("%s and %s differ:\n%v\n%v", a.Name(), b.Name(), ra, rb)
	}
}

// revMap returns id → winning rev of every non-design document.
func revMap(ctx context.Context, t *testing.T, db *kivik.DB) map[string]string {
	t.Helper()
	rs := db.AllDocs(ctx)
	out := map[string]string{}
	for rs.Next() {
		id, _ := rs.ID()
		var v struct {
			Rev string `json:"rev"`
		}
		if err := rs.ScanValue(&v); err != nil {
			t.Fatalf("AllDocs %s: %v", db.Name(), err)
		}
		if len(id) < 8 || id[:8] != "_design/" {
			out[id] = v.Rev
		}
	}
	if err := rs.Err(); err != nil {
		t.Fatalf("AllDocs %s: %v", db.Name(), err)
	}
	return out
}
