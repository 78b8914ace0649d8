package datasystest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-kivik/kivik/v4"

	"github.com/hearth-cloud/hearth/internal/testsvc"
)

// KivikTarget is where RunKivikClient points kivik's CouchDB driver.
type KivikTarget struct {
	ServerURL string // CouchDB-like root; for Hearth http://{instance}/data/
	Token     string // bearer token sent on every request; empty for none
	DB        string // an empty database (for Hearth, a doctype)
	OtherDB   string // a second empty database, the replication peer
	Hearth    bool   // also check what pouchdb-server lacks (ETag revs)
	// Options are extra kivik client options, applied last.
	Options []kivik.Option
}

// kivikEnv is the state shared by the steps of RunKivikClient.
type kivikEnv struct {
	target    KivikTarget
	db, other *kivik.DB
	revs      map[string]string // id → current rev in db, as the steps wrote them
}

// RunKivikClient drives kivik's CouchDB driver against target: documents,
// bulk writes, _all_docs, Mango, attachments, changes (normal and
// longpoll), then kivik's client-side replication to OtherDB and back,
// with a conflict made on both sides. Steps run in order and stop at the
// first failure.
func RunKivikClient(t *testing.T, target KivikTarget) {
	opts := append([]kivik.Option{testsvc.BearerToken(target.Token)}, target.Options...)
	client := testsvc.KivikCouchDB(t, target.ServerURL, opts...)
	env := &kivikEnv{target: target, db: client.DB(target.DB), other: client.DB(target.OtherDB),
		revs: map[string]string{}}
	steps := []struct {
		name string
		run  func(ctx context.Context, t *testing.T, env *kivikEnv)
	}{
		{"CRUD", kivikCRUD},
		{"BulkAndAllDocs", kivikBulk},
		{"Find", kivikFind},
		{"Attachments", kivikAttachments},
		{"Changes", kivikChanges},
		{"ReplicateOut", kivikReplicateOut},
		{"ReplicateBack", kivikReplicateBack},
		{"Conflict", kivikConflict},
	}
	for _, s := range steps {
		ok := t.Run(s.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			s.run(ctx, t, env)
		})
		if !ok {
			return
		}
	}
}

func kivikCRUD(ctx context.Context, t *testing.T, env *kivikEnv) {
	db := env.db
	rev1, err := db.Put(ctx, "doc-1", map[string]any{"title": "one", "n": 1})
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	var doc map[string]any
	if err := db.Get(ctx, "doc-1").ScanDoc(&doc); err != nil || doc["title"] != "one" {
		t.Fatalf("Get: %v %v", doc, err)
	}
	doc["title"] = "uno"
	rev2, err := db.Put(ctx, "doc-1", doc)
	if err != nil || gen(t, rev2) != 2 {
		t.Fatalf("update: %s %v", rev2, err)
	}
	env.revs["doc-1"] = rev2
	if _, err := db.Put(ctx, "doc-1", map[string]any{"_rev": rev1}); kivik.HTTPStatus(err) != http.StatusConflict {
		t.Errorf("stale update: %v, want 409", err)
	}
	if env.target.Hearth {
		if rev, err := db.GetRev(ctx, "doc-1"); err != nil || rev != rev2 {
			t.Errorf("GetRev = %s %v, want %s", rev, err, rev2)
		}
	}
	rev, err := db.Put(ctx, "doc-2", map[string]any{"title": "two"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Delete(ctx, "doc-2", rev); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := db.Get(ctx, "doc-2").Err(); kivik.HTTPStatus(err) != http.StatusNotFound {
		t.Errorf("Get deleted: %v, want 404", err)
	}
}

func kivikBulk(ctx context.Context, t *testing.T, env *kivikEnv) {
	docs := make([]any, 20)
	for i := range docs {
		docs[i] = map[string]any{"_id": fmt.Sprintf("bulk-%02d", i), "n": i + 100}
	}
	res, err := env.db.BulkDocs(ctx, docs)
	if err != nil {
		t.Fatalf("BulkDocs: %v", err)
	}
	for _, r := range res {
		if r.Error != nil {
			t.Fatalf("BulkDocs %s: %v", r.ID, r.Error)
		}
		env.revs[r.ID] = r.Rev
	}
	rs := env.db.AllDocs(ctx, kivik.IncludeDocs(), kivik.Param("startkey", "bulk-"), kivik.Param("endkey", "bulk-\ufff0"))
	var ids []string
	for rs.Next() {
		var doc struct {
			ID string `json:"_id"`
			N  int    `json:"n"`
		}
		if err := rs.ScanDoc(&doc); err != nil {
			t.Fatalf("AllDocs ScanDoc: %v", err)
		}
		ids = append(ids, doc.ID)
	}
	if err := rs.Err(); err != nil || len(ids) != 20 || ids[0] != "bulk-00" || ids[19] != "bulk-19" {
		t.Errorf("AllDocs: %d rows %v, err %v", len(ids), ids, err)
	}
}

func kivikFind(ctx context.Context, t *testing.T, env *kivikEnv) {
	if err := env.db.CreateIndex(ctx, "by-n", "by-n", map[string]any{"fields": []string{"n"}}); err != nil {
		t.Fatalf("CreateIndex: %v", err)
	}
	rs := env.db.Find(ctx, map[string]any{
		"selector": map[string]any{"n": map[string]any{"$gte": 115}},
		"sort":     []any{map[string]any{"n": "desc"}},
	})
	var ids []string
	for rs.Next() {
		var doc struct {
			ID string `json:"_id"`
		}
		if err := rs.ScanDoc(&doc); err != nil {
			t.Fatalf("Find ScanDoc: %v", err)
		}
		ids = append(ids, doc.ID)
	}
	if err := rs.Err(); err != nil {
		t.Fatalf("Find: %v", err)
	}
	eq(t, "Find ids", ids, []string{"bulk-19", "bulk-18", "bulk-17", "bulk-16", "bulk-15"})
}

func kivikAttachments(ctx context.Context, t *testing.T, env *kivikEnv) {
	rev, err := env.db.PutAttachment(ctx, "doc-1", &kivik.Attachment{
		Filename: "notes/hello.txt", ContentType: "text/plain",
		Content: io.NopCloser(strings.NewReader("hello, hearth")),
	}, kivik.Rev(env.revs["doc-1"]))
	if err != nil {
		t.Fatalf("PutAttachment: %v", err)
	}
	env.revs["doc-1"] = rev
	checkKivikAttachment(ctx, t, env.db, "doc-1", "notes/hello.txt", "hello, hearth")
}

func checkKivikAttachment(ctx context.Context, t *testing.T, db *kivik.DB, id, name, want string) {
	t.Helper()
	att, err := db.GetAttachment(ctx, id, name)
	if err != nil {
		t.Fatalf("GetAttachment %s/%s: %v", id, name, err)
	}
	defer att.Content.Close()
	got, err := io.ReadAll(att.Content)
	if err != nil || string(got) != want || !strings.HasPrefix(att.ContentType, "text/plain") {
		t.Errorf("attachment %s/%s = %q (%s), %v; want %q", id, name, got, att.ContentType, err, want)
	}
}
