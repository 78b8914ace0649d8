package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	alice        = "a11ce00000000001"
	bob          = "b0b0000000000002"
	notesType    = "io.hearth.notes"
	contactsType = "io.hearth.contacts"
)

func TestIndexSearchAndDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ix := e.indexer(t, nil)
	revs := e.put(t, alice, notesType,
		map[string]any{"_id": "n1", "title": "Groceries", "items": []any{"milk", "bread"}, "meta": map[string]any{"place": "corner shop"}},
		map[string]any{"_id": "n2", "title": "Holidays", "body": "Book the train to the sea", "stars": 5},
		map[string]any{"_id": "n3", "title": "<script>alert(1)</script> milk & honey"},
	)
	ix.Notify(alice, notesType)
	wantTotal(t, ix, alice, "milk", 2)

	res := search(t, ix, alice, "corner")
	if res.Total != 1 || res.Hits[0].ID != "n1" || res.Hits[0].Doctype != notesType {
		t.Fatalf("nested field: %+v", res)
	}
	if got := res.Hits[0].Fragments["meta.place"]; len(got) != 1 || got[0] != "<mark>corner</mark> shop" {
		t.Fatalf("fragments of a nested field: %q", res.Hits[0].Fragments)
	}
	res = search(t, ix, alice, "honey")
	frag := strings.Join(res.Hits[0].Fragments["title"], "")
	if !strings.Contains(frag, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(frag, "<mark>honey</mark>") || strings.Contains(frag, "<script") {
		t.Fatalf("hostile text not escaped before marking: %q", frag)
	}
	if res := search(t, ix, alice, "title:holidays"); res.Total != 1 || res.Hits[0].ID != "n2" {
		t.Fatalf("field query: %+v", res)
	}
	if res := search(t, ix, alice, "5"); res.Total != 0 {
		t.Fatalf("numbers are not text: %+v", res)
	}

	// Deleting a document, and an update that leaves no text, take it out of the index.
	db := e.db(t, alice, notesType)
	if _, err := db.Delete(context.Background(), "n1", revs["n1"]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Put(context.Background(), "n3", map[string]any{"_rev": revs["n3"], "stars": 1}); err != nil {
		t.Fatal(err)
	}
	ix.Notify(alice, notesType)
	wantTotal(t, ix, alice, "milk", 0)
	if keys := allKeys(t, ix, alice); !slices.Equal(keys, []string{notesType + "/n2"}) {
		t.Fatalf("index holds %v, want only n2", keys)
	}
}

func TestPermissionsAndInstances(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ix := e.indexer(t, nil)
	e.put(t, alice, notesType, map[string]any{"_id": "n", "text": "secret plans"})
	e.put(t, alice, contactsType, map[string]any{"_id": "c", "name": "Secret Agent"})
	e.put(t, bob, notesType, map[string]any{"_id": "b", "text": "bob's secret"})
	for _, n := range [][2]string{{alice, notesType}, {alice, contactsType}, {bob, notesType}} {
		ix.Notify(n[0], n[1])
	}
	wantTotal(t, ix, alice, "secret", 2)
	wantTotal(t, ix, bob, "secret", 1)

	ctx := context.Background()
	notesOnly := Reader{Instance: alice, Doctypes: []string{notesType}}
	for _, q := range []string{"secret", "agent", "_doctype:io.hearth.contacts", "name:agent", "secret OR agent", "*"} {
		res, err := ix.Search(ctx, notesOnly, Params{Query: q})
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		for _, h := range res.Hits {
			if h.Doctype != notesType {
				t.Fatalf("%q: a notes token found %s/%s", q, h.Doctype, h.ID)
			}
		}
		if res.Total > 1 {
			t.Fatalf("%q: total %d counts documents of another doctype", q, res.Total)
		}
	}
	if _, err := ix.Search(ctx, notesOnly, Params{Query: "secret", Doctype: contactsType}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("doctype not readable: %v, want ErrForbidden", err)
	}
	if res, err := ix.Search(ctx, Reader{Instance: alice}, Params{Query: "secret"}); err != nil || res.Total != 0 {
		t.Fatalf("a token reading nothing: %+v %v", res, err)
	}
	res, err := ix.Search(ctx, Reader{Instance: alice, All: true}, Params{Query: "secret", Doctype: contactsType})
	if err != nil || res.Total != 1 || res.Hits[0].ID != "c" {
		t.Fatalf("doctype filter: %+v %v", res, err)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ix := e.indexer(t, nil)
	e.put(t, alice, notesType, notes(0, 25)...)
	ix.Notify(alice, notesType)
	wantTotal(t, ix, alice, "milk", 25)
	owner := Reader{Instance: alice, All: true}
	ctx := context.Background()
	for name, p := range map[string]Params{
		"empty":      {Query: "  "},
		"too long":   {Query: strings.Repeat("a", MaxQueryLen+1)},
		"parse":      {Query: "title:"},
		"quote":      {Query: `title:"milk`},
		"regexp":     {Query: "/[/"},
		"limit 101":  {Query: "milk", Limit: 101},
		"limit -1":   {Query: "milk", Limit: -1},
		"doctype":    {Query: "milk", Doctype: "Not A Doctype"},
		"cursor":     {Query: "milk", Cursor: "garbage"},
		"deep":       {Query: "milk", Cursor: Params{Query: "milk"}.next(MaxOffset + 1)},
		"other q":    {Query: "bread", Cursor: Params{Query: "milk"}.next(10)},
		"other type": {Query: "milk", Doctype: notesType, Cursor: Params{Query: "milk"}.next(10)},
	} {
		_, err := ix.Search(ctx, owner, p)
		if !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: %v, want ErrBadRequest", name, err)
		} else if r := Reason(err); strings.Contains(r, "search:") {
			t.Errorf("%s: reason %q", name, r)
		}
	}
	if _, err := ix.Search(ctx, owner, Params{Query: strings.Repeat("é", MaxQueryLen)}); err != nil {
		t.Errorf("400 characters are allowed: %v", err)
	}

	// Pages follow each other without repeating a hit.
	seen := map[string]bool{}
	p := Params{Query: "milk", Limit: 10}
	for pages := 0; ; pages++ {
		res, err := ix.Search(ctx, owner, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hits {
			if seen[h.ID] {
				t.Fatalf("%s twice", h.ID)
			}
			seen[h.ID] = true
		}
		if res.NextCursor == nil {
			if pages != 2 || len(seen) != 25 {
				t.Fatalf("%d pages, %d hits", pages+1, len(seen))
			}
			break
		}
		p.Cursor = *res.NextCursor
	}
}

// TestRestartResumes stops the indexer in the middle of the feed, writes more, and starts it
// again: every document is found exactly once, and the second indexer starts from the
// checkpoint, not from the beginning.
func TestRestartResumes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const first, more = 2000, 300
	e.put(t, alice, notesType, notes(0, first)...)
	small := func(c *Config) { c.BatchSize = 100 }
	ix := e.indexer(t, small)
	ix.Notify(alice, notesType)
	eventually(t, 60*time.Second, func() error {
		if ix.Indexed() < 300 {
			return fmt.Errorf("indexed %d", ix.Indexed())
		}
		return nil
	})
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	done := ix.Indexed()
	if done >= first {
		t.Fatalf("the first indexer finished (%d) before it was stopped: make the feed longer", done)
	}
	e.put(t, alice, notesType, notes(first, more)...)

	ix2 := e.indexer(t, small)
	wantTotal(t, ix2, alice, "milk", first+more)
	checkOnce(t, allKeys(t, ix2, alice), first+more)
	if again := ix2.Indexed(); again > first+more-done+100 {
		t.Fatalf("the second indexer read %d changes: it did not resume from the checkpoint (%d were done)", again, done)
	}
}

// checkOnce checks keys are note-00000… note-(n-1), each once.
func checkOnce(t testing.TB, keys []string, n int) {
	t.Helper()
	slices.Sort(keys)
	if len(keys) != n {
		t.Fatalf("%d documents in the index, want %d", len(keys), n)
	}
	for i, k := range keys {
		if want := fmt.Sprintf("%s/note-%05d", notesType, i); k != want {
			t.Fatalf("key %d is %s, want %s", i, k, want)
		}
	}
}

func TestDroppedAndRecreatedDoctype(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ix := e.indexer(t, nil)
	e.put(t, alice, notesType, notes(0, 50)...)
	ix.Notify(alice, notesType)
	wantTotal(t, ix, alice, "milk", 50)

	ctx := context.Background()
	if err := e.dbs.Client.DestroyDB(ctx, "h"+alice+"_io_hearth_notes"); err != nil {
		t.Fatal(err)
	}
	e.dbs.Forget("h" + alice + "_")
	if err := ix.DropDoctype(ctx, alice, notesType); err != nil {
		t.Fatal(err)
	}
	wantTotal(t, ix, alice, "milk", 0)
	e.put(t, alice, notesType, notes(0, 3)...)
	ix.Notify(alice, notesType)
	wantTotal(t, ix, alice, "milk", 3)

	// Destroyed and created again behind the indexer's back: the next start notices.
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.dbs.Client.DestroyDB(ctx, "h"+alice+"_io_hearth_notes"); err != nil {
		t.Fatal(err)
	}
	e.dbs.Forget("h" + alice + "_")
	e.put(t, alice, notesType, map[string]any{"_id": "x", "t": "milk"})
	ix2 := e.indexer(t, nil)
	wantTotal(t, ix2, alice, "milk", 1)
}

func TestIdleIndexesClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ix := e.indexer(t, func(c *Config) { c.IdleTimeout = 200 * time.Millisecond; c.MaxOpen = 2 })
	ids := []string{"0000000000000001", "0000000000000002", "0000000000000003", "0000000000000004", "0000000000000005"}
	for _, id := range ids {
		e.put(t, id, notesType, map[string]any{"_id": "n", "t": "hello " + id})
		ix.Notify(id, notesType)
	}
	for _, id := range ids {
		wantTotal(t, ix, id, "hello", 1)
	}
	eventually(t, 5*time.Second, func() error {
		if n := ix.OpenIndexes(); n != 0 {
			return fmt.Errorf("%d indexes still open", n)
		}
		return nil
	})
	for _, id := range ids {
		wantTotal(t, ix, id, id, 1) // opens again
		if n := ix.OpenIndexes(); n > len(ids) {
			t.Fatalf("%d open", n)
		}
	}
	eventually(t, 5*time.Second, func() error {
		if n := ix.OpenIndexes(); n > 2 {
			return fmt.Errorf("%d indexes open, MaxOpen is 2", n)
		}
		return nil
	})
}

func TestReindexWhileSearching(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	locale := "en"
	ix := e.indexer(t, func(c *Config) {
		c.Locale = func(context.Context, string) (string, error) { return locale, nil }
		c.Fields = func(context.Context, string) (map[string][]string, error) {
			return map[string][]string{notesType: {"title", "body"}}, nil
		}
	})
	e.put(t, alice, notesType, notes(0, 2000)...)
	e.put(t, alice, notesType, map[string]any{"_id": "fr", "title": "l'arbre des maisons", "hidden": "milk"})
	ix.Notify(alice, notesType)
	wantTotal(t, ix, alice, "milk", 2000)
	if res := search(t, ix, alice, "arbre"); res.Total != 0 {
		t.Fatalf("English analyzer stemmed French: %+v", res)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	searches := 0
	go func() {
		defer close(errc)
		for ctx.Err() == nil {
			res, err := ix.Search(context.Background(), Reader{Instance: alice, All: true}, Params{Query: "bread"})
			if err != nil || res.Total < 2000 {
				errc <- fmt.Errorf("search during reindex: total %v, err %v", res, err)
				return
			}
			searches++
		}
	}()
	locale = "fr-FR"
	rr, err := ix.Reindex(context.Background(), alice)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if rr.Documents != 2001 || rr.Generation != 2 || rr.Analyzer != "fr" || searches == 0 {
		t.Fatalf("reindex: %+v after %d searches", rr, searches)
	}
	if res := search(t, ix, alice, "arbre"); res.Total != 1 {
		t.Fatalf("French analyzer after reindex: %+v", res)
	}
	// Writes after the swap reach the new index.
	e.put(t, alice, notesType, notes(2000, 1)...)
	ix.Notify(alice, notesType)
	wantTotal(t, ix, alice, "bread", 2001)
	if _, err := ix.Reindex(context.Background(), alice); err != nil {
		t.Fatal(err)
	}
	checkOnce(t, slices.DeleteFunc(allKeys(t, ix, alice), func(k string) bool { return strings.HasSuffix(k, "/fr") }), 2001)
}

func TestSafeFragment(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"a &lt;b&gt; <mark>c</mark> d":     "a &lt;b&gt; <mark>c</mark> d",
		"<script>x</script><mark>y</mark>": "&lt;script&gt;x&lt;/script&gt;<mark>y</mark>",
		"<mark><img src=x></mark>":         "<mark>&lt;img src=x&gt;</mark>",
		"<mark>open":                       "open",
		"&amp;lt;":                         "&amp;lt;",
	} {
		if got := safeFragment(in); got != want {
			t.Errorf("safeFragment(%q) = %q, want %q", in, got, want)
		}
	}
}
