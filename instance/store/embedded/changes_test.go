package embedded

import (
	"context"
	"slices"
	"testing"
	"time"

	kivik "github.com/go-kivik/kivik/v4"
)

type changeRow struct {
	id, seq string
	deleted bool
	revs    []string
	doc     map[string]any
}

func readChanges(t *testing.T, ch *kivik.Changes) []changeRow {
	t.Helper()
	var out []changeRow
	for ch.Next() {
		r := changeRow{id: ch.ID(), seq: ch.Seq(), deleted: ch.Deleted(), revs: ch.Changes()}
		_ = ch.ScanDoc(&r.doc) // nil without include_docs
		out = append(out, r)
	}
	if err := ch.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func ids(rows []changeRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.id
	}
	return out
}

func TestChangesNormal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := newTestDB(t)
	ra := mustPut(t, db, "a", map[string]any{})
	mustPut(t, db, "b", map[string]any{})
	mustPut(t, db, "_local/x", map[string]any{})
	mustPut(t, db, "a", map[string]any{"_rev": ra, "v": 2}) // a moves to seq 3
	rc := mustPut(t, db, "c", map[string]any{})
	if _, err := db.Delete(ctx, "c", rc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		opts    map[string]any
		want    []string
		lastSeq string
		pending int64
	}{
		{"all", map[string]any{}, []string{"b", "a", "c"}, "5", 0},
		{"since", map[string]any{"since": "2"}, []string{"a", "c"}, "5", 0},
		{"since couch style", map[string]any{"since": "2-g1AAAA"}, []string{"a", "c"}, "5", 0},
		{"limit", map[string]any{"limit": 1}, []string{"b"}, "2", 2},
		{"descending", map[string]any{"descending": true}, []string{"c", "a", "b"}, "2", 0},
		{"doc_ids", map[string]any{"filter": "_doc_ids", "doc_ids": `["c","b"]`}, []string{"b", "c"}, "5", 0},
		{"now", map[string]any{"since": "now"}, nil, "5", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := db.Changes(ctx, kivik.Params(tt.opts))
			rows := readChanges(t, ch)
			if !slices.Equal(ids(rows), tt.want) {
				t.Fatalf("ids = %v, want %v", ids(rows), tt.want)
			}
			meta, err := ch.Metadata()
			if err != nil || meta.LastSeq != tt.lastSeq || meta.Pending != tt.pending {
				t.Fatalf("meta = %+v, %v", meta, err)
			}
		})
	}
	rows := readChanges(t, db.Changes(ctx, kivik.Params(map[string]any{"include_docs": true, "since": "4"})))
	if len(rows) != 1 || !rows[0].deleted || rows[0].doc["_deleted"] != true {
		t.Fatalf("deleted change = %+v", rows)
	}
}

func TestChangesAllDocsStyle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := newTestDB(t)
	docs := []any{
		replicated("d", "2-b", 2, []string{"b", "a"}, nil),
		replicated("d", "2-c", 2, []string{"c", "a"}, nil),
	}
	if _, err := db.BulkDocs(ctx, docs, kivik.Param("new_edits", false)); err != nil {
		t.Fatal(err)
	}
	rows := readChanges(t, db.Changes(ctx, kivik.Params(map[string]any{"style": "all_docs"})))
	if len(rows) != 1 || !slices.Equal(rows[0].revs, []string{"2-c", "2-b"}) {
		t.Fatalf("changes = %+v", rows)
	}
	rows = readChanges(t, db.Changes(ctx))
	if len(rows) != 1 || !slices.Equal(rows[0].revs, []string{"2-c"}) {
		t.Fatalf("changes = %+v", rows)
	}
}

func TestChangesLongpollWakes(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, db := newTestDB(t)
	mustPut(t, db, "a", map[string]any{})
	ch := db.Changes(ctx, kivik.Params(map[string]any{"feed": "longpoll", "since": "1"}))
	got := make(chan []changeRow, 1)
	go func() { got <- readChanges(t, ch) }()
	select {
	case rows := <-got:
		t.Fatalf("longpoll returned before any change: %v", rows)
	case <-time.After(50 * time.Millisecond): // the feed is waiting
	}
	mustPut(t, db, "b", map[string]any{})
	select {
	case rows := <-got:
		if !slices.Equal(ids(rows), []string{"b"}) {
			t.Fatalf("longpoll = %v", ids(rows))
		}
	case <-ctx.Done():
		t.Fatal("longpoll did not wake up")
	}
	// With nothing new, the timeout ends the feed empty.
	rows := readChanges(t, db.Changes(ctx, kivik.Params(map[string]any{"feed": "longpoll", "since": "now", "timeout": 20})))
	if len(rows) != 0 {
		t.Fatalf("timed-out longpoll = %v", rows)
	}
}

func TestChangesContinuous(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, db := newTestDB(t)
	mustPut(t, db, "a", map[string]any{})
	ch := db.Changes(ctx, kivik.Params(map[string]any{"feed": "continuous"}))
	t.Cleanup(func() { _ = ch.Close() })
	next := func() string {
		t.Helper()
		if !ch.Next() {
			t.Fatalf("feed ended: %v", ch.Err())
		}
		return ch.ID()
	}
	if id := next(); id != "a" {
		t.Fatalf("first change %s", id)
	}
	for _, id := range []string{"b", "c"} {
		go func() {
			if _, err := db.Put(ctx, id, map[string]any{}); err != nil {
				t.Error(err)
			}
		}()
		if got := next(); got != id {
			t.Fatalf("change %s, want %s", got, id)
		}
	}
	// timeout with nothing new ends a continuous feed.
	rows := readChanges(t, db.Changes(ctx, kivik.Params(map[string]any{"feed": "continuous", "since": "now", "timeout": 20})))
	if len(rows) != 0 {
		t.Fatalf("timed-out feed = %v", rows)
	}
}

func TestChangesSelectorFilter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := newTestDB(t)
	mustPut(t, db, "a", map[string]any{"type": "note"})
	mustPut(t, db, "b", map[string]any{"type": "todo"})
	mustPut(t, db, "c", map[string]any{"type": "note"})
	rows := readChanges(t, db.Changes(ctx, kivik.Params(map[string]any{
		"filter": "_selector", "selector": map[string]any{"type": "note"},
	})))
	if !slices.Equal(ids(rows), []string{"a", "c"}) {
		t.Fatalf("selector filter = %v", ids(rows))
	}
	ch := db.Changes(ctx, kivik.Params(map[string]any{"filter": "_view"}))
	if ch.Next() || ch.Err() == nil {
		t.Fatal("unknown filter accepted")
	}
}

// TestChangesLiveFeedSeesEveryRevision: a caught-up feed reads the commits it missed from
// memory, every revision; past maxEvents it falls back to one change per document.
func TestChangesLiveFeedSeesEveryRevision(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, db := newTestDB(t)
	ch := db.Changes(ctx, kivik.Params(map[string]any{"feed": "continuous", "since": "now", "style": "all_docs"}))
	t.Cleanup(func() { _ = ch.Close() })
	mustPut(t, db, "canary", map[string]any{})
	if !ch.Next() || ch.ID() != "canary" {
		t.Fatalf("canary: %v", ch.Err())
	}
	rev := ""
	var want []string
	for i := 0; i < 3; i++ {
		doc := map[string]any{"i": i}
		if rev != "" {
			doc["_rev"] = rev
		}
		rev = mustPut(t, db, "d", doc)
		want = append(want, rev)
	}
	var got []string
	for len(got) < 3 && ch.Next() {
		got = append(got, ch.Changes()...)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("revisions = %v, want %v", got, want)
	}
	for i := 0; i < maxEvents+10; i++ {
		rev = mustPut(t, db, "d", map[string]any{"_rev": rev})
	}
	if !ch.Next() || ch.ID() != "d" || !slices.Equal(ch.Changes(), []string{rev}) {
		t.Fatalf("after overflow: %s %v, want d at %s (%v)", ch.ID(), ch.Changes(), rev, ch.Err())
	}
}
