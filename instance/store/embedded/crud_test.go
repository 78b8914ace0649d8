package embedded

import (
	"context"
	"net/http"
	"sync"
	"testing"

	kivik "github.com/go-kivik/kivik/v4"
)

func TestPutGetDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := newTestDB(t)
	rev1 := mustPut(t, db, "a", map[string]any{"x": 1})
	if revGen(rev1) != 1 {
		t.Fatalf("rev1 = %s", rev1)
	}
	_, err := db.Put(ctx, "a", map[string]any{"x": 2})
	wantStatus(t, err, http.StatusConflict)
	rev2 := mustPut(t, db, "a", map[string]any{"_rev": rev1, "x": 2})
	got := getMap(t, db, "a")
	if got["x"] != float64(2) || got["_rev"] != rev2 || got["_id"] != "a" {
		t.Fatalf("got %v", got)
	}
	// An inner revision's body is kept until compaction, as CouchDB does.
	if old := getMap(t, db, "a", kivik.Rev(rev1)); old["x"] != float64(1) || old["_rev"] != rev1 {
		t.Fatalf("GET ?rev=%s before compaction = %v", rev1, old)
	}
	if err := db.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	err = db.Get(ctx, "a", kivik.Rev(rev1)).Err()
	wantStatus(t, err, http.StatusNotFound)
	if got := getMap(t, db, "a"); got["_rev"] != rev2 {
		t.Fatalf("after compaction the winner is %v", got)
	}
	_, err = db.Delete(ctx, "a", rev1)
	wantStatus(t, err, http.StatusConflict)
	rev3, err := db.Delete(ctx, "a", rev2)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Get(ctx, "a").Err()
	wantStatus(t, err, http.StatusNotFound)
	del := getMap(t, db, "a", kivik.Rev(rev3))
	if del["_deleted"] != true {
		t.Fatalf("tombstone = %v", del)
	}
	rev4 := mustPut(t, db, "a", map[string]any{"x": 3})
	if revGen(rev4) != 4 {
		t.Fatalf("recreated rev = %s, want generation 4", rev4)
	}
	revs := getMap(t, db, "a", kivik.Param("revs", true))["_revisions"].(map[string]any)
	if revs["start"] != float64(4) || len(revs["ids"].([]any)) != 4 {
		t.Fatalf("_revisions = %v", revs)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := newTestDB(t)
	tests := []struct {
		name   string
		id     string
		doc    any
		status int
	}{
		{"underscore id", "_foo", map[string]any{}, http.StatusBadRequest},
		{"bad special member", "a", map[string]any{"_bogus": 1}, http.StatusBadRequest},
		{"bad rev", "a", map[string]any{"_rev": "nope"}, http.StatusBadRequest},
		{"rev on missing doc", "b", map[string]any{"_rev": "1-abc"}, http.StatusConflict},
		{"not an object", "c", []int{1}, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.Put(ctx, tt.id, tt.doc)
			wantStatus(t, err, tt.status)
		})
	}
}

func TestClientDatabases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := newTestDB(t)
	wantStatus(t, c.CreateDB(ctx, "test"), http.StatusPreconditionFailed)
	wantStatus(t, c.CreateDB(ctx, "Bad"), http.StatusBadRequest)
	wantStatus(t, c.CreateDB(ctx, "../x"), http.StatusBadRequest)
	if err := c.CreateDB(ctx, "a/b$(c)+d-e_f"); err != nil {
		t.Fatal(err)
	}
	all, err := c.AllDBs(ctx)
	if err != nil || jsonOf(t, all) != `["a/b$(c)+d-e_f","test"]` {
		t.Fatalf("all dbs = %v, %v", all, err)
	}
	missing := c.DB("nope")
	_, err = missing.Put(ctx, "x", map[string]any{})
	wantStatus(t, err, http.StatusNotFound)
	wantStatus(t, c.DestroyDB(ctx, "nope"), http.StatusNotFound)
	if err := c.DestroyDB(ctx, "a/b$(c)+d-e_f"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.DBExists(ctx, "a/b$(c)+d-e_f"); ok {
		t.Fatal("database still exists")
	}
}

// TestCachedReadsFollowWrites reads documents again and again while they change: a read never
// answers older than the last acknowledged write, from the cache or not.
func TestCachedReadsFollowWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := newTestDB(t)
	rev := mustPut(t, db, "hot", map[string]any{"n": 0})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 { // readers racing the writer fill and refill the cache
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					_ = db.Get(ctx, "hot").Err()
				}
			}
		}()
	}
	for n := 1; n <= 200; n++ {
		rev = mustPut(t, db, "hot", map[string]any{"_rev": rev, "n": n})
		if got := getMap(t, db, "hot"); got["_rev"] != rev || got["n"] != float64(n) {
			close(stop)
			t.Fatalf("after write %d (rev %s) read %v", n, rev, got)
		}
	}
	close(stop)
	wg.Wait()
	if _, err := db.Delete(ctx, "hot", rev); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, db.Get(ctx, "hot").Err(), http.StatusNotFound)
}
