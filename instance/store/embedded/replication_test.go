package embedded

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"

	kivik "github.com/go-kivik/kivik/v4"
)

func replicated(id, rev string, start int, ids []string, extra map[string]any) map[string]any {
	doc := map[string]any{"_id": id, "_rev": rev, "_revisions": map[string]any{"start": start, "ids": ids}}
	for k, v := range extra {
		doc[k] = v
	}
	return doc
}

func TestNewEditsFalseMakesConflicts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := newTestDB(t)
	docs := []any{
		replicated("d", "2-b", 2, []string{"b", "a"}, map[string]any{"v": "b"}),
		replicated("d", "2-c", 2, []string{"c", "a"}, map[string]any{"v": "c"}),
		replicated("d", "3-e", 3, []string{"e", "d", "a"}, map[string]any{"_deleted": true}),
	}
	res, err := db.BulkDocs(ctx, docs, kivik.Param("new_edits", false))
	if err != nil || len(res) != 0 {
		t.Fatalf("bulk = %v, %v", res, err)
	}
	// Known revisions are no-ops.
	if _, err := db.BulkDocs(ctx, docs[:1], kivik.Param("new_edits", false)); err != nil {
		t.Fatal(err)
	}
	got := getMap(t, db, "d", kivik.Param("conflicts", true), kivik.Param("deleted_conflicts", true))
	if got["_rev"] != "2-c" || got["v"] != "c" {
		t.Fatalf("winner = %v", got)
	}
	if jsonOf(t, got["_conflicts"]) != `["2-b"]` || jsonOf(t, got["_deleted_conflicts"]) != `["3-e"]` {
		t.Fatalf("conflicts = %v / %v", got["_conflicts"], got["_deleted_conflicts"])
	}
	// Resolving the conflict: delete the losing leaf.
	if _, err := db.Delete(ctx, "d", "2-b"); err != nil {
		t.Fatal(err)
	}
	got = getMap(t, db, "d", kivik.Param("conflicts", true))
	if _, ok := got["_conflicts"]; ok {
		t.Fatalf("conflict left: %v", got)
	}
	// Replicated write without _revisions, and a bad rev.
	if _, err := db.Put(ctx, "e", map[string]any{"_rev": "5-x"}, kivik.Param("new_edits", false)); err != nil {
		t.Fatal(err)
	}
	_, err = db.Put(ctx, "e", map[string]any{"_rev": "bogus"}, kivik.Param("new_edits", false))
	wantStatus(t, err, http.StatusBadRequest)
}

func TestRevsDiff(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := newTestDB(t)
	rev1 := mustPut(t, db, "a", map[string]any{})
	rows := db.RevsDiff(ctx, map[string][]string{"a": {rev1, "2-x", "3-y"}, "b": {"1-z"}})
	got := map[string]kivik.RevDiff{}
	for rows.Next() {
		var d kivik.RevDiff
		if err := rows.ScanValue(&d); err != nil {
			t.Fatal(err)
		}
		id, _ := rows.ID()
		got[id] = d
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got["a"].Missing, []string{"2-x", "3-y"}) || !slices.Equal(got["a"].PossibleAncestors, []string{rev1}) {
		t.Fatalf("a = %+v", got["a"])
	}
	if !slices.Equal(got["b"].Missing, []string{"1-z"}) || len(got["b"].PossibleAncestors) != 0 {
		t.Fatalf("b = %+v", got["b"])
	}
}

func TestBulkGetAndOpenRevs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := newTestDB(t)
	rev1 := mustPut(t, db, "a", map[string]any{"v": 1})
	rev2 := mustPut(t, db, "a", map[string]any{"_rev": rev1, "v": 2})
	rows := db.BulkGet(ctx, []kivik.BulkGetReference{{ID: "a", Rev: rev2}, {ID: "a", Rev: rev1}, {ID: "nope"}},
		kivik.Param("revs", true))
	var results []string
	for rows.Next() {
		var doc map[string]any
		err := rows.ScanDoc(&doc)
		id, _ := rows.ID()
		switch {
		case err != nil:
			results = append(results, id+":"+err.Error())
		default:
			revs := doc["_revisions"].(map[string]any)
			results = append(results, id+":"+doc["_rev"].(string)+":"+jsonOf(t, revs["start"]))
		}
	}
	want := []string{"a:" + rev2 + ":2", "a:" + rev1 + ":1", "nope:missing"}
	if !slices.Equal(results, want) {
		t.Fatalf("bulk get = %v, want %v", results, want)
	}
	// open_revs=all lists every leaf, deleted ones included.
	if _, err := db.BulkDocs(ctx, []any{replicated("a", "2-zzz", 2, []string{"zzz", revHash(rev1)}, nil)},
		kivik.Param("new_edits", false)); err != nil {
		t.Fatal(err)
	}
	open := db.OpenRevs(ctx, "a", []string{"all"})
	var leaves []string
	for open.Next() {
		var doc struct {
			Rev string `json:"_rev"`
		}
		if err := open.ScanDoc(&doc); err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, doc.Rev)
	}
	if !slices.Equal(leaves, []string{"2-zzz", rev2}) && !slices.Equal(leaves, []string{rev2, "2-zzz"}) {
		t.Fatalf("open_revs=all = %v", leaves)
	}
	open = db.OpenRevs(ctx, "a", []string{"9-missing"})
	t.Cleanup(func() { _ = open.Close() })
	if !open.Next() {
		t.Fatal("no row for a missing rev")
	}
	if rev, err := open.Rev(); rev != "9-missing" || kivik.HTTPStatus(err) != http.StatusNotFound {
		t.Fatalf("missing row = %s, %v", rev, err)
	}
}

func revHash(rev string) string {
	_, h, _ := parseRev(rev)
	return h
}

func TestLocalDocs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := newTestDB(t)
	rev := mustPut(t, db, "_local/cp", map[string]any{"seq": 1})
	if rev != "0-1" {
		t.Fatalf("rev = %s", rev)
	}
	_, err := db.Put(ctx, "_local/cp", map[string]any{"seq": 2})
	wantStatus(t, err, http.StatusConflict)
	rev = mustPut(t, db, "_local/cp", map[string]any{"_rev": rev, "seq": 2})
	if got := getMap(t, db, "_local/cp"); got["seq"] != float64(2) || got["_rev"] != "0-2" {
		t.Fatalf("local doc = %v", got)
	}
	stats, err := db.Stats(ctx)
	if err != nil || stats.DocCount != 0 || stats.UpdateSeq != "0" {
		t.Fatalf("stats = %+v, %v", stats, err)
	}
	all := db.AllDocs(ctx)
	t.Cleanup(func() { _ = all.Close() })
	if all.Next() {
		t.Fatal("local doc listed in _all_docs")
	}
	local := db.LocalDocs(ctx)
	t.Cleanup(func() { _ = local.Close() })
	if !local.Next() {
		t.Fatal("local doc not listed in _local_docs")
	}
	_ = local.Close()
	if _, err := db.Delete(ctx, "_local/cp", rev); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, db.Get(ctx, "_local/cp").Err(), http.StatusNotFound)
}

func TestGetOptions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := newTestDB(t)
	rev1 := mustPut(t, db, "a", map[string]any{"v": 1})
	rev2 := mustPut(t, db, "a", map[string]any{"_rev": rev1, "v": 2})
	got := getMap(t, db, "a", kivik.Param("revs_info", true), kivik.Param("local_seq", true))
	if jsonOf(t, got["_revs_info"]) != `[{"rev":"`+rev2+`","status":"available"},{"rev":"`+rev1+`","status":"missing"}]` {
		t.Fatalf("revs_info = %v", got["_revs_info"])
	}
	if got["_local_seq"] != float64(2) {
		t.Fatalf("local_seq = %v", got["_local_seq"])
	}
	doc := db.Get(ctx, "a", kivik.Rev(rev1), kivik.Param("latest", true))
	var body map[string]any
	if err := doc.ScanDoc(&body); err != nil || body["_rev"] != rev2 {
		t.Fatalf("latest = %v, %v", body, err)
	}
	rev, err := db.GetRev(ctx, "a")
	if err != nil || rev != rev2 {
		t.Fatalf("GetRev = %s, %v", rev, err)
	}
	raw, _ := json.Marshal(map[string]any{"x": 1})
	if _, err := db.Put(ctx, "b", io.NopCloser(jsonReader(raw))); err != nil {
		t.Fatal(err)
	}
}

func TestDeletingWinnerPromotesConflict(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := newTestDB(t)
	docs := []any{
		replicated("d", "2-b", 2, []string{"b", "a"}, map[string]any{"v": "b"}),
		replicated("d", "2-c", 2, []string{"c", "a"}, map[string]any{"v": "c"}),
	}
	if _, err := db.BulkDocs(ctx, docs, kivik.Param("new_edits", false)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Delete(ctx, "d", "2-c"); err != nil {
		t.Fatal(err)
	}
	got := getMap(t, db, "d", kivik.Param("deleted_conflicts", true))
	if got["_rev"] != "2-b" || got["v"] != "b" || len(got["_deleted_conflicts"].([]any)) != 1 {
		t.Fatalf("after deleting the winner = %v", got)
	}
	stats, err := db.Stats(ctx)
	if err != nil || stats.DocCount != 1 || stats.DeletedCount != 0 {
		t.Fatalf("stats = %+v, %v", stats, err)
	}
}
