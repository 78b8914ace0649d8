package embedded

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	kivik "github.com/go-kivik/kivik/v4"
	"github.com/go-kivik/kivik/v4/driver"
)

// TestManyDatabasesBeyondTheLimit uses ten times more databases than may stay open, from
// concurrent goroutines: databases close and re-open all along, under writers, readers, a
// live feed and a database destroyed and created again, and none loses or mixes anything.
func TestManyDatabasesBeyondTheLimit(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const maxOpen, dbs, workers, rounds = 2, 20, 6, 2
	o := defaultOptions()
	o.maxOpen = maxOpen
	c := newClient(t.TempDir(), o)
	kc := kivikOn(t, c)
	name := func(i int) string { return fmt.Sprintf("db%02d", i) }
	run(t, workers, func(w int) error { // created concurrently
		for i := w; i < dbs; i += workers {
			if err := kc.CreateDB(ctx, name(i)); err != nil {
				return err
			}
			if err := kc.DB(name(i)).CreateIndex(ctx, "", "by-w", `{"fields":["w"]}`); err != nil {
				return err
			}
		}
		return nil
	})

	// A continuous feed on db00 must see every write to it, whatever closes meanwhile.
	feed := kc.DB(name(0)).Changes(ctx, kivik.Param("feed", "continuous"), kivik.Param("since", "0"))
	seen := make(chan map[string]bool, 1)
	go func() {
		ids := map[string]bool{}
		for len(ids) < workers*rounds && feed.Next() {
			ids[feed.ID()] = true
		}
		seen <- ids
	}()
	t.Cleanup(func() { _ = feed.Close() })

	stopChurn := make(chan struct{})
	churned := make(chan error, 1)
	go func() { churned <- churn(ctx, kc, stopChurn) }()

	run(t, workers, func(w int) error {
		for r := range rounds {
			for k := range dbs {
				db := kc.DB(name((k + w*3) % dbs)) // each worker in its own order
				id := fmt.Sprintf("w%d-r%d", w, r)
				if _, err := db.Put(ctx, id, map[string]any{"w": w, "r": r}); err != nil {
					return fmt.Errorf("%s: put %s: %w", db.Name(), id, err)
				}
				var doc struct{ W, R int }
				if err := db.Get(ctx, id).ScanDoc(&doc); err != nil || doc.W != w || doc.R != r {
					return fmt.Errorf("%s: get %s = %+v, %v", db.Name(), id, doc, err)
				}
			}
		}
		return nil
	})
	close(stopChurn)
	if err := <-churned; err != nil {
		t.Fatal(err)
	}

	for i := range dbs {
		checkAllWrites(ctx, t, kc.DB(name(i)), workers, rounds)
	}
	select {
	case ids := <-seen:
		if len(ids) != workers*rounds {
			t.Fatalf("the live feed saw %d documents, want %d", len(ids), workers*rounds)
		}
	case <-ctx.Done():
		t.Fatal("the live feed did not see every write")
	}
	if err := kc.DB(name(1)).Flush(ctx); err != nil { // an open trims the idle ones
		t.Fatal(err)
	}
	if n := openCount(c); n > maxOpen {
		t.Fatalf("%d databases open, want at most %d", n, maxOpen)
	}
}

// run calls f(0) … f(n-1) at once and fails the test with their errors.
func run(t *testing.T, n int, f func(i int) error) {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// churn destroys and re-creates one database, writing and reading it each time, until stop.
func churn(ctx context.Context, kc *kivik.Client, stop <-chan struct{}) error {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return nil
		default:
		}
		if err := kc.CreateDB(ctx, "churn"); err != nil {
			return fmt.Errorf("create churn (round %d): %w", i, err)
		}
		db := kc.DB("churn")
		id := fmt.Sprintf("doc%d", i)
		if _, err := db.Put(ctx, id, map[string]any{"i": i}); err != nil {
			return fmt.Errorf("put churn/%s: %w", id, err)
		}
		stats, err := db.Stats(ctx)
		if err != nil || stats.DocCount != 1 || stats.UpdateSeq != "1" {
			return fmt.Errorf("churn round %d: stats %+v, %v; want one document at sequence 1", i, stats, err)
		}
		if err := kc.DestroyDB(ctx, "churn"); err != nil {
			return fmt.Errorf("destroy churn (round %d): %w", i, err)
		}
	}
}

// checkAllWrites checks that db holds exactly the documents the workers wrote, each once in
// the changes feed, and that the index defined before all the re-openings still answers.
func checkAllWrites(ctx context.Context, t *testing.T, db *kivik.DB, workers, rounds int) {
	t.Helper()
	var want []string
	for w := range workers {
		for r := range rounds {
			want = append(want, fmt.Sprintf("w%d-r%d", w, r))
		}
	}
	sort.Strings(want)
	rows := db.AllDocs(ctx)
	var got []string
	for rows.Next() {
		id, _ := rows.ID()
		got = append(got, id)
	}
	if err := rows.Err(); err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: _all_docs = %v, %v; want %v", db.Name(), got, err, want)
	}
	ch := db.Changes(ctx)
	var seqs []string
	for ch.Next() {
		seqs = append(seqs, ch.Seq())
	}
	if err := ch.Err(); err != nil || len(seqs) != len(want) || seqs[len(seqs)-1] != fmt.Sprint(len(want)) {
		t.Fatalf("%s: changes at %v, %v; want %d changes, the last at %d", db.Name(), seqs, err, len(want), len(want))
	}
	found := db.Find(ctx, map[string]any{"selector": map[string]any{"w": 3}, "use_index": "by-w"})
	n := 0
	for found.Next() {
		n++
	}
	if err := found.Err(); err != nil || n != rounds {
		t.Fatalf("%s: _find w=3 found %d, %v; want %d", db.Name(), n, err, rounds)
	}
}

// kivikOn returns a kivik client on the driver's client c, so that a test can look inside c.
func kivikOn(t *testing.T, c *client) *kivik.Client {
	t.Helper()
	name := fmt.Sprintf("hearth-test-%d", testDrivers.Add(1))
	kivik.Register(name, fixedDriver{c})
	kc, err := kivik.New(name, c.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kc.Close() })
	return kc
}

var testDrivers atomic.Int64

// fixedDriver is a kivik driver whose every client is c.
type fixedDriver struct{ c *client }

func (d fixedDriver) NewClient(string, driver.Options) (driver.Client, error) { return d.c, nil }

// TestDestroyWaitsForBackgroundClose: a database closed in the background still deletes its
// log by name when it is done, so destroying (then creating again) a database of that name
// must wait for it.
func TestDestroyWaitsForBackgroundClose(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t.TempDir(), defaultOptions())
	t.Cleanup(func() { _ = c.Close() })
	if err := c.CreateDB(ctx, "x", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := (&db{c: c, name: "x"}).Put(ctx, "a", map[string]any{}, nil); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	h := c.handles["x"]
	c.retireLocked(h) // as trim does; closeLater would close it in the background
	c.mu.Unlock()
	destroyed := make(chan error, 1)
	go func() {
		err := c.DestroyDB(ctx, "x", nil)
		select {
		case <-h.gone:
		default:
			err = fmt.Errorf("DestroyDB returned (%v) while the database was still closing", err)
		}
		destroyed <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		c.mu.Lock()
		started := c.dying["x"]
		c.mu.Unlock()
		if started || len(destroyed) > 0 || time.Now().After(deadline) {
			break
		}
	}
	_ = c.closeRetired(h)
	if err := <-destroyed; err != nil {
		t.Fatal(err)
	}
}
