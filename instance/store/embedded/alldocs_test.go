package embedded

import (
	"context"
	"fmt"
	"slices"
	"testing"

	kivik "github.com/go-kivik/kivik/v4"
)

func TestAllDocs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := newTestDB(t)
	for _, id := range []string{"b", "a", "B", "c", "é", "_design/x"} {
		mustPut(t, db, id, map[string]any{"id": id})
	}
	rev := mustPut(t, db, "d", map[string]any{})
	if _, err := db.Delete(ctx, "d", rev); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		opts         map[string]any
		want         []string
		total, offst int64
	}{
		{"all in byte order", nil, []string{"B", "_design/x", "a", "b", "c", "é"}, 6, 0},
		{"range", map[string]any{"startkey": `"a"`, "endkey": `"c"`}, []string{"a", "b", "c"}, 6, 2},
		{"exclusive end", map[string]any{"start_key": `"a"`, "end_key": `"c"`, "inclusive_end": false}, []string{"a", "b"}, 6, 2},
		{"descending", map[string]any{"descending": true, "startkey": `"c"`, "limit": 2}, []string{"c", "b"}, 6, 1},
		{"skip limit", map[string]any{"skip": 1, "limit": 2}, []string{"_design/x", "a"}, 6, 1},
		{"key", map[string]any{"key": `"b"`}, []string{"b"}, 6, 3},
		{"keys", map[string]any{"keys": []string{"c", "d", "zz"}}, []string{"c", "d", ""}, 6, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := db.AllDocs(ctx, kivik.Params(tt.opts))
			var got []string
			for rows.Next() {
				id, _ := rows.ID()
				got = append(got, id)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			meta, err := rows.Metadata()
			if err != nil || !slices.Equal(got, tt.want) || meta.TotalRows != tt.total || meta.Offset != tt.offst {
				t.Fatalf("got %v %+v %v, want %v total %d offset %d", got, meta, err, tt.want, tt.total, tt.offst)
			}
		})
	}
	rows := db.AllDocs(ctx, kivik.Params(map[string]any{"include_docs": true, "keys": []string{"d", "a"}}))
	var docs []map[string]any
	for rows.Next() {
		var doc map[string]any
		if err := rows.ScanDoc(&doc); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, doc)
	}
	if len(docs) != 2 || docs[0] != nil || docs[1]["id"] != "a" {
		t.Fatalf("docs = %v", docs)
	}
}

func TestDesignDocs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := newTestDB(t)
	for _, id := range []string{"_design/b", "_design/a", "a", "_local/x", "b"} {
		mustPut(t, db, id, map[string]any{})
	}
	rows := db.DesignDocs(ctx)
	var got []string
	for rows.Next() {
		id, _ := rows.ID()
		got = append(got, id)
	}
	if err := rows.Err(); err != nil || !slices.Equal(got, []string{"_design/a", "_design/b"}) {
		t.Fatalf("design docs = %v, %v", got, err)
	}
}

func TestAllDocsPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := newTestDB(t)
	docs := make([]any, 1234)
	for i := range docs {
		docs[i] = map[string]any{"_id": fmt.Sprintf("d%05d", i)}
	}
	if _, err := db.BulkDocs(ctx, docs); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		opts        map[string]any
		count       int
		first, last string
	}{
		{"all", nil, 1234, "d00000", "d01233"},
		{"skip and limit across pages", map[string]any{"skip": 10, "limit": 700}, 700, "d00010", "d00709"},
		{"descending", map[string]any{"descending": true, "limit": 600}, 600, "d01233", "d00634"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := db.AllDocs(ctx, kivik.Params(tt.opts))
			var got []string
			for rows.Next() {
				id, _ := rows.ID()
				got = append(got, id)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.count || got[0] != tt.first || got[len(got)-1] != tt.last {
				t.Fatalf("%d rows from %s to %s", len(got), got[0], got[len(got)-1])
			}
		})
	}
}

// TestAllDocsWhileDeleting lists with include_docs while documents are deleted and recreated: a
// listed document always comes with its body, never as a deleted row.
func TestAllDocsWhileDeleting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := newTestDB(t)
	revs := map[string]string{}
	for i := range 50 {
		id := fmt.Sprintf("d%02d", i)
		revs[id] = mustPut(t, db, id, map[string]any{"i": i})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for round := 0; round < 5; round++ {
			for id, rev := range revs {
				newRev, err := db.Delete(ctx, id, rev)
				if err != nil {
					return
				}
				if revs[id], err = db.Put(ctx, id, map[string]any{"_rev": newRev, "again": round}); err != nil {
					return
				}
			}
		}
	}()
	for listing := 0; ; listing++ {
		rows := db.AllDocs(ctx, kivik.Param("include_docs", true))
		var bad error
		for bad == nil && rows.Next() {
			var doc map[string]any
			if err := rows.ScanDoc(&doc); err != nil || doc == nil {
				id, _ := rows.ID()
				bad = fmt.Errorf("listing %d: row %s without its document (%v)", listing, id, err)
			}
		}
		_ = rows.Close()
		if bad != nil {
			<-done
			t.Fatal(bad)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
			return
		default:
		}
	}
}
