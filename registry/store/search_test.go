package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/manifest"
	"github.com/hearth-cloud/hearth/registry/store"
)

func TestSearch(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, st *store.Store, _ *entry.Signer) {
		ctx := context.Background()
		pub := publisher(t, st, "ada@example.org")
		add := func(slug, name, desc, v string, cats ...string) int64 {
			t.Helper()
			app, _, err := st.CreateApp(ctx, pub, store.Indexed{Slug: slug, GitURL: "https://git.test/" + slug,
				Versions: []entry.Version{versionWith(slug, v, name, desc, cats...)}})
			if err != nil {
				t.Fatal(err)
			}
			return app.ID
		}
		add("notes", "Notes", "Write notes in markdown", "1.0.0", "productivity")
		add("tasks", "Tasks", "A to-do list with notes", "1.0.0", "productivity")
		add("photos", "Photos", "Your photo albums", "0.1.0-beta.1", "media")
		add("music", "Music", "100% of your songs_here", "2.0.0", "media")
		before := time.Now()
		time.Sleep(5 * time.Millisecond)
		add("calendar", "Calendar", "Dates and events", "1.0.0", "productivity")

		slugs := func(q store.Query) []string {
			t.Helper()
			page, err := st.Search(ctx, q)
			if err != nil {
				t.Fatalf("Search(%+v): %v", q, err)
			}
			var out []string
			for _, a := range page.Apps {
				out = append(out, a.Slug)
			}
			return out
		}
		for _, c := range []struct {
			q    store.Query
			want []string
		}{
			{store.Query{}, []string{"calendar", "music", "notes", "photos", "tasks"}},
			{store.Query{Q: "notes"}, []string{"notes", "tasks"}},
			{store.Query{Q: "NOTES markdown"}, []string{"notes"}},
			{store.Query{Q: "ada"}, []string{"calendar", "music", "notes", "photos", "tasks"}},
			{store.Query{Q: "100%"}, []string{"music"}},
			{store.Query{Q: "s_h"}, []string{"music"}},
			{store.Query{Q: "%"}, []string{"music"}},
			{store.Query{Q: "zzz"}, nil},
			{store.Query{Category: "media"}, []string{"music", "photos"}},
			{store.Query{Channel: manifest.ChannelBeta}, []string{"photos"}},
			{store.Query{Channel: manifest.ChannelStable, Category: "media"}, []string{"music"}},
			{store.Query{UpdatedSince: before}, []string{"calendar"}},
		} {
			if got := slugs(c.q); !slices.Equal(got, c.want) {
				t.Errorf("Search(%+v) = %v, want %v", c.q, got, c.want)
			}
		}

		var all []string
		q := store.Query{Limit: 2, Q: "a"}
		for range 5 {
			page, err := st.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range page.Apps {
				all = append(all, a.Slug)
			}
			if page.Next == "" {
				break
			}
			q.Cursor = page.Next
		}
		if want := []string{"calendar", "music", "notes", "photos", "tasks"}; !slices.Equal(all, want) {
			t.Errorf("pages gave %v, want %v", all, want)
		}
		first, _ := st.Search(ctx, store.Query{Limit: 2})
		for _, bad := range []store.Query{{Cursor: first.Next, Q: "notes"}, {Cursor: "!!"}, {Cursor: first.Next, Category: "media"}} {
			if _, err := st.Search(ctx, bad); !errors.Is(err, store.ErrCursor) {
				t.Errorf("Search(%+v): %v, want ErrCursor", bad, err)
			}
		}
		for _, bad := range []store.Query{{Limit: 101}, {Limit: -1}, {Channel: "nightly"}, {Category: "Not A Category"}} {
			if _, err := st.Search(ctx, bad); !errors.Is(err, store.ErrInput) {
				t.Errorf("Search(%+v): %v, want ErrInput", bad, err)
			}
		}
	})
}

// TestSearchOrderAcrossOrigins checks that apps of the same name from
// several origins all appear once across pages.
func TestSearchOrderAcrossOrigins(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, st *store.Store, _ *entry.Signer) {
		ctx := context.Background()
		for i := range 3 {
			peerSigner := newSigner(t)
			peer, err := st.AddPeer(ctx, fmt.Sprintf("https://peer%d.test", i), peerSigner.Fingerprint())
			if err != nil {
				t.Fatal(err)
			}
			mirror(t, st, peer, peerSigner, entry.Entry{Kind: entry.KindApp, Slug: "notes", Seq: 1,
				App: &entry.App{Name: "Notes", Source: "https://git.test/notes"}})
		}
		pub := publisher(t, st, "ada@example.org")
		createApp(t, st, pub, "notes", "1.0.0")
		seen := map[string]bool{}
		q := store.Query{Limit: 1}
		for {
			page, err := st.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range page.Apps {
				seen[a.Origin.Key] = true
			}
			if page.Next == "" {
				break
			}
			q.Cursor = page.Next
		}
		if len(seen) != 4 {
			t.Errorf("saw %d origins, want 4", len(seen))
		}
	})
}
