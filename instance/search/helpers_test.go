package search

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	kivik "github.com/go-kivik/kivik/v4"

	"github.com/hearth-cloud/hearth/instance/store"
	_ "github.com/hearth-cloud/hearth/instance/store/embedded"
)

// env is an embedded store and a search directory, shared by the indexers a test starts.
type env struct {
	dbs  *store.DBs
	dir  string
	root string // holds the store's files (dbs/) and the search directory (search/)
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return openEnv(t, t.TempDir())
}

func openEnv(t testing.TB, root string) *env {
	t.Helper()
	c, err := store.Open(context.Background(), store.Config{Dir: filepath.Join(root, "dbs")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &env{dbs: &store.DBs{Client: c}, dir: filepath.Join(root, "search"), root: root}
}

// indexer starts an indexer on e; it is closed when the test ends (closing it earlier is fine).
func (e *env) indexer(t testing.TB, tweak func(*Config)) *Indexer {
	t.Helper()
	cfg := Config{Dir: e.dir, DBs: e.dbs, Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if tweak != nil {
		tweak(&cfg)
	}
	ix, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ix.Close() })
	return ix
}

func (e *env) db(t testing.TB, instance, doctype string) *kivik.DB {
	t.Helper()
	db, _, err := e.dbs.Open(context.Background(), store.DBName(instance, doctype), true)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// put writes docs (each with an _id) in one bulk request and returns their revisions by id.
func (e *env) put(t testing.TB, instance, doctype string, docs ...map[string]any) map[string]string {
	t.Helper()
	list := make([]any, len(docs))
	for i, d := range docs {
		list[i] = d
	}
	res, err := e.db(t, instance, doctype).BulkDocs(context.Background(), list)
	if err != nil {
		t.Fatal(err)
	}
	revs := map[string]string{}
	for _, r := range res {
		if r.Error != nil {
			t.Fatalf("put %s: %v", r.ID, r.Error)
		}
		revs[r.ID] = r.Rev
	}
	return revs
}

// notes returns n documents note-0… with a title and a body naming their number.
func notes(from, n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		k := from + i
		out[i] = map[string]any{"_id": fmt.Sprintf("note-%05d", k), "title": fmt.Sprintf("note number%d", k),
			"body": fmt.Sprintf("groceries milk bread item%d", k), "n": k}
	}
	return out
}

// eventually polls f until it returns nil, failing the test after d.
func eventually(t testing.TB, d time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// search runs q for the instance's owner.
func search(t testing.TB, ix *Indexer, instance, q string) *Result {
	t.Helper()
	res, err := ix.Search(context.Background(), Reader{Instance: instance, All: true}, Params{Query: q, Limit: MaxLimit})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	return res
}

// wantTotal waits until q finds want documents.
func wantTotal(t testing.TB, ix *Indexer, instance, q string, want uint64) {
	t.Helper()
	eventually(t, 30*time.Second, func() error {
		if got := search(t, ix, instance, q).Total; got != want {
			return fmt.Errorf("%q found %d documents, want %d", q, got, want)
		}
		return nil
	})
}

// allKeys lists every document key in an instance's index, reading the index directly.
func allKeys(t testing.TB, ix *Indexer, instance string) []string {
	t.Helper()
	s := ix.acquire(instance)
	defer ix.release(s)
	var keys []string
	err := s.withIndex(context.Background(), func(idx bleve.Index) error {
		n, err := idx.DocCount()
		if err != nil {
			return err
		}
		req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), int(n)+10, 0, false)
		res, err := idx.Search(req)
		if err != nil {
			return err
		}
		for _, h := range res.Hits {
			keys = append(keys, h.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
