package embedded

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	kivik "github.com/go-kivik/kivik/v4"
)

// TestGroupCommitConcurrentUpdates has many writers race on one document: in every round
// exactly one update of a given revision wins, the others get 409, none is lost.
func TestGroupCommitConcurrentUpdates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := newTestDB(t)
	rev := mustPut(t, db, "hot", map[string]any{"n": 0})
	const writers, rounds = 16, 20
	for round := 1; round <= rounds; round++ {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var wins []string
		conflicts := 0
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := db.Put(ctx, "hot", map[string]any{"_rev": rev, "n": round, "w": w})
				mu.Lock()
				defer mu.Unlock()
				switch kivik.HTTPStatus(err) {
				case 0:
					wins = append(wins, r)
				case http.StatusConflict:
					conflicts++
				default:
					t.Errorf("put: %v", err)
				}
			}()
		}
		wg.Wait()
		if len(wins) != 1 || conflicts != writers-1 {
			t.Fatalf("round %d: %d wins, %d conflicts", round, len(wins), conflicts)
		}
		rev = wins[0]
	}
	if revGen(rev) != rounds+1 {
		t.Fatalf("final rev %s", rev)
	}
}

// TestGroupCommitManyDocs writes distinct documents from many goroutines and checks that
// every acknowledged write is there, each at its own sequence.
func TestGroupCommitManyDocs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := newTestDB(t)
	const writers, each = 16, 25
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				id := fmt.Sprintf("w%02d-%03d", w, i)
				if _, err := db.Put(ctx, id, map[string]any{"w": w}); err != nil {
					t.Errorf("put %s: %v", id, err)
				}
			}
		}()
	}
	// A bulk with a conflict in the middle of concurrent traffic fails only that document.
	res, err := db.BulkDocs(ctx, []any{
		map[string]any{"_id": "bulk-1"}, map[string]any{"_id": "bulk-1"}, map[string]any{"_id": "bulk-2"},
	})
	wg.Wait()
	if err != nil || res[0].Error != nil || kivik.HTTPStatus(res[1].Error) != http.StatusConflict || res[2].Error != nil {
		t.Fatalf("bulk = %+v, %v", res, err)
	}
	stats, err := db.Stats(ctx)
	if err != nil || stats.DocCount != writers*each+2 || stats.UpdateSeq != fmt.Sprint(writers*each+2) {
		t.Fatalf("stats = %+v, %v", stats, err)
	}
	seen := map[string]bool{}
	changes := db.Changes(ctx)
	for changes.Next() {
		if seen[changes.Seq()] {
			t.Fatalf("sequence %s used twice", changes.Seq())
		}
		seen[changes.Seq()] = true
	}
	if err := changes.Err(); err != nil || len(seen) != writers*each+2 {
		t.Fatalf("%d changes, %v", len(seen), err)
	}
}

// TestReadsDuringWrites lists documents with their bodies while they are being rewritten:
// no read may fail because a listed revision was replaced meanwhile.
func TestReadsDuringWrites(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, db := newTestDB(t)
	revs := make([]string, 300)
	for i := range revs {
		revs[i] = mustPut(t, db, fmt.Sprintf("d%03d", i), map[string]any{"n": 0})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := 1; ctx.Err() == nil; n++ {
			i := n % len(revs)
			r, err := db.Put(ctx, fmt.Sprintf("d%03d", i), map[string]any{"_rev": revs[i], "n": n})
			if err != nil {
				if ctx.Err() == nil {
					t.Errorf("put: %v", err)
				}
				return
			}
			revs[i] = r
		}
	}()
	for round := 0; round < 30; round++ {
		ch := db.Changes(ctx, kivik.Params(map[string]any{"include_docs": true, "style": "all_docs"}))
		for ch.Next() { //nolint:revive // reading is the test
		}
		if err := ch.Err(); err != nil {
			t.Fatalf("changes: %v", err)
		}
		rows := db.AllDocs(ctx, kivik.IncludeDocs())
		for rows.Next() {
			var doc map[string]any
			if err := rows.ScanDoc(&doc); err != nil || doc == nil {
				t.Fatalf("all docs row: %v, %v", doc, err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("all docs: %v", err)
		}
	}
	cancel()
	<-done
}
