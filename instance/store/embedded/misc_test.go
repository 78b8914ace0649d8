package embedded

import (
	"context"
	"testing"

	kivik "github.com/go-kivik/kivik/v4"
)

// TestStatsCountsFollowWrites checks the counters kept by triggers against a full count.
func TestStatsCountsFollowWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, db := newTestDB(t)
	ra := mustPut(t, db, "a", map[string]any{"v": 1})
	rb := mustPut(t, db, "b", map[string]any{"_attachments": map[string]any{"f": map[string]any{"data": "eHh4"}}})
	mustPut(t, db, "a", map[string]any{"_rev": ra, "v": 2})
	rc := mustPut(t, db, "c", map[string]any{})
	rc2, err := db.Delete(ctx, "c", rc)
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, db, "c", map[string]any{"_rev": rc2, "back": true})
	rd := mustPut(t, db, "d", map[string]any{})
	if _, err := db.Delete(ctx, "d", rd); err != nil {
		t.Fatal(err)
	}
	if _, err := db.BulkDocs(ctx, []any{replicated("b", "2-z", 2, []string{"z", revHash(rb)}, nil)},
		kivik.Param("new_edits", false)); err != nil {
		t.Fatal(err)
	}
	if err := db.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	stats, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	live, deleted := countWhere(t, c, "deleted = 0"), countWhere(t, c, "deleted != 0")
	if stats.DocCount != live || stats.DeletedCount != deleted || live != 3 || deleted != 1 {
		t.Fatalf("stats %d live %d deleted, table %d/%d", stats.DocCount, stats.DeletedCount, live, deleted)
	}
	if stats.ExternalSize <= 0 || stats.ActiveSize <= 0 || stats.DiskSize <= 0 || stats.UpdateSeq != "9" {
		t.Fatalf("stats = %+v", stats)
	}
}

func countWhere(t *testing.T, kc *kivik.Client, cond string) int64 {
	t.Helper()
	c := newClient(kc.DSN(), defaultOptions())
	defer c.Close()
	h, err := c.acquire("test")
	if err != nil {
		t.Fatal(err)
	}
	defer c.release(h)
	var n int64
	if err := h.rdb.QueryRow(`SELECT COUNT(*) FROM docs WHERE ` + cond).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
