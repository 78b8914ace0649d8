package embedded

import (
	"context"
	"net/http"
	"slices"
	"testing"

	kivik "github.com/go-kivik/kivik/v4"
)

type findResult struct {
	ids      []string
	warning  string
	bookmark string
}

func find(t *testing.T, db *kivik.DB, query string) findResult {
	t.Helper()
	rows := db.Find(context.Background(), query)
	var res findResult
	for rows.Next() {
		var doc struct {
			ID string `json:"_id"`
		}
		if err := rows.ScanDoc(&doc); err != nil {
			t.Fatal(err)
		}
		res.ids = append(res.ids, doc.ID)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("find %s: %v", query, err)
	}
	meta, err := rows.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	res.warning, res.bookmark = meta.Warning, meta.Bookmark
	return res
}

func TestFindWithAndWithoutIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := newTestDB(t)
	ages := map[string]float64{"ann": 31, "bob": 25, "cat": 40, "eve": 35}
	revs := map[string]string{}
	for id, age := range ages {
		revs[id] = mustPut(t, db, id, map[string]any{"age": age, "kind": "person"})
	}
	mustPut(t, db, "dan", map[string]any{"kind": "person"})
	const q = `{"selector":{"age":{"$gte":30}},"fields":["_id"]}`
	res := find(t, db, q)
	if !slices.Equal(res.ids, []string{"ann", "cat", "eve"}) || res.warning == "" {
		t.Fatalf("scan = %+v", res)
	}
	if err := db.CreateIndex(ctx, "people", "by-age", `{"fields":["age"]}`); err != nil {
		t.Fatal(err)
	}
	res = find(t, db, q)
	if !slices.Equal(res.ids, []string{"ann", "eve", "cat"}) || res.warning != "" {
		t.Fatalf("indexed = %+v", res)
	}
	// The index follows updates and deletions.
	mustPut(t, db, "bob", map[string]any{"_rev": revs["bob"], "age": 50.0})
	if _, err := db.Delete(ctx, "eve", revs["eve"]); err != nil {
		t.Fatal(err)
	}
	res = find(t, db, `{"selector":{"age":{"$gte":30}},"sort":[{"age":"desc"}]}`)
	if !slices.Equal(res.ids, []string{"bob", "cat", "ann"}) {
		t.Fatalf("after updates = %+v", res)
	}
	// Paging with bookmarks.
	page := find(t, db, `{"selector":{"age":{"$gt":0}},"limit":2}`)
	next := find(t, db, `{"selector":{"age":{"$gt":0}},"limit":2,"bookmark":"`+page.bookmark+`"}`)
	if !slices.Equal(page.ids, []string{"ann", "cat"}) || !slices.Equal(next.ids, []string{"bob"}) {
		t.Fatalf("pages = %v then %v", page.ids, next.ids)
	}
	idx, err := db.GetIndexes(ctx)
	if err != nil || len(idx) != 2 || idx[1].Name != "by-age" || idx[1].DesignDoc != "_design/people" {
		t.Fatalf("indexes = %+v, %v", idx, err)
	}
	if err := db.DeleteIndex(ctx, "people", "by-age"); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, db.DeleteIndex(ctx, "people", "by-age"), http.StatusNotFound)
	rows := db.Find(ctx, `{"selector":{"age":{"$gt":0}},"sort":["age"]}`)
	if rows.Next() || kivik.HTTPStatus(rows.Err()) != http.StatusBadRequest {
		t.Fatalf("sort without index: %v", rows.Err())
	}
}

func TestIndexSurvivesReopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	c, err := kivik.New(DriverName, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CreateDB(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	mustPut(t, c.DB("x"), "a", map[string]any{"n": 1})
	if err := c.DB("x").CreateIndex(ctx, "", "", `{"fields":["n"]}`); err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	c, err = kivik.New(DriverName, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	mustPut(t, c.DB("x"), "b", map[string]any{"n": 2})
	res := find(t, c.DB("x"), `{"selector":{"n":{"$gt":0}},"sort":["n"]}`)
	if !slices.Equal(res.ids, []string{"a", "b"}) || res.warning != "" {
		t.Fatalf("after reopen = %+v", res)
	}
}
