package embedded

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	kivik "github.com/go-kivik/kivik/v4"
)

func openCount(c *client) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.handles)
}

func TestIdleDatabasesAreClosedAndReopened(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	kc, err := kivik.New(DriverName, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kc.Close() })
	if err := kc.CreateDB(ctx, "idle"); err != nil {
		t.Fatal(err)
	}
	mustPut(t, kc.DB("idle"), "a", map[string]any{"v": 1})
	// Reach the driver's client through a second one on the same directory.
	c := newClient(dir, defaultOptions())
	t.Cleanup(func() { _ = c.Close() })
	d := &db{c: c, name: "idle"}
	if _, err := d.GetRev(ctx, "a", nil); err != nil {
		t.Fatal(err)
	}
	if openCount(c) != 1 {
		t.Fatalf("%d open handles", openCount(c))
	}
	c.closeIdle(time.Now().Add(time.Hour))
	if openCount(c) != 0 {
		t.Fatalf("%d open handles after idle close", openCount(c))
	}
	if rev, err := d.GetRev(ctx, "a", nil); err != nil || revGen(rev) != 1 {
		t.Fatalf("reopened read = %s, %v", rev, err)
	}
}

func TestDestroyEndsContinuousFeed(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, db := newTestDB(t)
	ch := db.Changes(ctx, kivik.Params(map[string]any{"feed": "continuous"}))
	t.Cleanup(func() { _ = ch.Close() })
	ended := make(chan struct{})
	go func() {
		for ch.Next() { //nolint:revive // drain until the feed ends
		}
		close(ended)
	}()
	if err := c.DestroyDB(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
	case <-ctx.Done():
		t.Fatal("feed still open after the database was destroyed")
	}
	_, err := db.Put(ctx, "x", map[string]any{})
	wantStatus(t, err, http.StatusNotFound)
}

func TestFileNamesStayInDirectory(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"a/../../etc", "a/b", "a$(b)+c-d_e"} {
		f := fileName(name)
		if filepath.Base(f) != f || f[0] == '.' {
			t.Errorf("fileName(%q) = %q", name, f)
		}
		if back, ok := dbNameOf(f); !ok || back != name {
			t.Errorf("dbNameOf(%q) = %q, %v", f, back, ok)
		}
	}
	if _, ok := dbNameOf("x.sqlite-wal"); ok {
		t.Error("WAL file taken for a database")
	}
}

// TestLongpollKeepsDatabaseOpen: a database a longpoll feed waits on is not idle; if it is
// closed anyway (here by force), the feed re-opens it and still sees the next write.
func TestLongpollKeepsDatabaseOpen(t *testing.T) {
	t.Parallel()
	for _, force := range []bool{false, true} {
		t.Run(fmt.Sprintf("forced close %v", force), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			o := defaultOptions()
			o.maxOpen = 1
			c := newClient(t.TempDir(), o)
			t.Cleanup(func() { _ = c.Close() })
			for _, name := range []string{"lp", "other"} {
				if err := c.CreateDB(ctx, name, nil); err != nil {
					t.Fatal(err)
				}
			}
			d := &db{c: c, name: "lp"}
			feed, err := d.Changes(ctx, kivik.Params(map[string]any{"feed": "longpoll", "since": "now"}))
			if err != nil {
				t.Fatal(err)
			}
			got := make(chan string, 1)
			go func() {
				var ch driverChange
				if err := feed.Next(&ch.Change); err != nil {
					got <- "error: " + err.Error()
					return
				}
				got <- ch.ID
			}()
			h := waitWatched(t, c, "lp")
			if force {
				c.mu.Lock()
				c.retireLocked(h)
				c.mu.Unlock()
				_ = c.closeRetired(h)
			} else {
				c.closeIdle(time.Now().Add(time.Hour))
				if _, err := (&db{c: c, name: "other"}).Put(ctx, "y", map[string]any{}, nil); err != nil {
					t.Fatal(err) // opening another database trims beyond maxOpen
				}
				c.mu.Lock()
				still := c.handles["lp"] == h
				c.mu.Unlock()
				if !still {
					t.Fatal("the database a feed waits on was closed")
				}
			}
			if _, err := d.Put(ctx, "x", map[string]any{}, nil); err != nil {
				t.Fatal(err)
			}
			select {
			case id := <-got:
				if id != "x" {
					t.Fatalf("feed got %s", id)
				}
			case <-ctx.Done():
				t.Fatal("feed did not wake")
			}
		})
	}
}

// waitWatched returns the handle of database name once a live feed waits on it.
func waitWatched(t *testing.T, c *client, name string) *handle {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		c.mu.Lock()
		h := c.handles[name]
		watched := h != nil && h.watchers > 0
		c.mu.Unlock()
		if watched {
			return h
		}
	}
	t.Fatal("no feed waits on " + name)
	return nil
}

// TestTwoClientsOneDirectory writes through two clients of the same files: sequences stay
// unique because each batch reads the last one inside its transaction.
func TestTwoClientsOneDirectory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	a, err := kivik.New(DriverName, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	if err := a.CreateDB(ctx, "shared"); err != nil {
		t.Fatal(err)
	}
	b, err := kivik.New(DriverName, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	for i := 0; i < 10; i++ {
		mustPut(t, a.DB("shared"), "a"+string(rune('0'+i)), map[string]any{})
		mustPut(t, b.DB("shared"), "b"+string(rune('0'+i)), map[string]any{})
	}
	stats, err := a.DB("shared").Stats(ctx)
	if err != nil || stats.DocCount != 20 || stats.UpdateSeq != "20" {
		t.Fatalf("stats = %+v, %v", stats, err)
	}
}

// TestOpensVersion1Files opens a file in the first schema: it is brought up to date.
func TestOpensVersion1Files(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	conn, err := sql.Open("sqlite", dsn(filepath.Join(dir, fileName("old")), false))
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(`CREATE TABLE docs (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, deleted INTEGER NOT NULL,
		rev TEXT NOT NULL, tree BLOB NOT NULL);
		CREATE TABLE revs (id TEXT NOT NULL, rev TEXT NOT NULL, deleted INTEGER NOT NULL, body BLOB NOT NULL,
		atts BLOB, PRIMARY KEY (id, rev));
		CREATE TABLE mango_indexes (ddoc TEXT NOT NULL, name TEXT NOT NULL, def BLOB NOT NULL, PRIMARY KEY (ddoc, name));
		INSERT INTO docs VALUES ('a', 1, 0, '1-x', '[{"r":"1-x"}]');
		INSERT INTO revs VALUES ('a', '1-x', 0, '{"v":1}', NULL);
		PRAGMA user_version = 1;`)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.Close()
	c, err := kivik.New(DriverName, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	db := c.DB("old")
	if got := getMap(t, db, "a"); got["v"] != float64(1) || got["_rev"] != "1-x" {
		t.Fatalf("old doc = %v", got)
	}
	mustPut(t, db, "a", map[string]any{"_rev": "1-x", "v": 2})
	if err := db.CreateIndex(ctx, "", "", `{"fields":["v"]}`); err != nil {
		t.Fatal(err)
	}
}

func TestOpenDatabasesAreCapped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t.TempDir(), defaultOptions())
	c.opts.maxOpen = 3
	t.Cleanup(func() { _ = c.Close() })
	for i := 0; i < 10; i++ {
		name := fmt.Sprintf("db%d", i)
		if err := c.CreateDB(ctx, name, nil); err != nil {
			t.Fatal(err)
		}
		d := &db{c: c, name: name}
		if _, err := d.Put(ctx, "a", map[string]any{"i": i}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := openCount(c); n > 3 {
		t.Fatalf("%d databases open, want at most 3", n)
	}
	for i := 0; i < 10; i++ { // closed ones re-open on use
		d := &db{c: c, name: fmt.Sprintf("db%d", i)}
		if _, err := d.GetRev(ctx, "a", nil); err != nil {
			t.Fatal(err)
		}
	}
}
