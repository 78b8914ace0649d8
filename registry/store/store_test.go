package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/manifest"
	"github.com/hearth-cloud/hearth/registry/store"
)

func TestPublishers(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, st *store.Store, _ *entry.Signer) {
		ctx := context.Background()
		p, tok, err := st.CreatePublisher(ctx, "Ada@Example.org", "correct horse battery", "Ada")
		if err != nil {
			t.Fatal(err)
		}
		if p.Email != "ada@example.org" || !strings.HasPrefix(p.Proof, store.ProofPrefix) || !strings.HasPrefix(tok, store.TokenPrefix) {
			t.Fatalf("publisher %+v, token %q", p, tok)
		}
		if _, _, err := st.CreatePublisher(ctx, "ada@example.org", "another password", "Eve"); !errors.Is(err, store.ErrExists) {
			t.Errorf("same email again: %v, want ErrExists", err)
		}
		for _, bad := range [][3]string{{"not an email", "correct horse battery", "X"}, {"b@example.org", "short", "X"}, {"c@example.org", "correct horse battery", ""}} {
			if _, _, err := st.CreatePublisher(ctx, bad[0], bad[1], bad[2]); !errors.Is(err, store.ErrInput) {
				t.Errorf("CreatePublisher(%q): %v, want ErrInput", bad, err)
			}
		}
		if got, err := st.Login(ctx, "ADA@example.org ", "correct horse battery"); err != nil || got.ID != p.ID {
			t.Errorf("Login: %+v, %v", got, err)
		}
		for _, pw := range []string{"wrong password!", ""} {
			if _, err := st.Login(ctx, "ada@example.org", pw); !errors.Is(err, store.ErrLogin) {
				t.Errorf("Login with %q: %v", pw, err)
			}
		}
		if _, err := st.Login(ctx, "nobody@example.org", "correct horse battery"); !errors.Is(err, store.ErrLogin) {
			t.Errorf("Login of nobody: %v", err)
		}
		tok2, err := st.CreateToken(ctx, p.ID, "laptop")
		if err != nil || tok2 == tok {
			t.Fatalf("CreateToken: %q, %v", tok2, err)
		}
		for _, tk := range []string{tok, tok2} {
			if got, err := st.PublisherByToken(ctx, tk); err != nil || got.ID != p.ID || got.Proof != p.Proof {
				t.Errorf("PublisherByToken: %+v, %v", got, err)
			}
		}
		if _, err := st.PublisherByToken(ctx, tok+"x"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown token: %v", err)
		}
	})
}

func TestCreateAppSignsAndFeeds(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, st *store.Store, signer *entry.Signer) {
		ctx := context.Background()
		pub := publisher(t, st, "ada@example.org")
		app := createApp(t, st, pub, "notes", "1.0.0", "1.1.0-beta.1")
		if app.Latest != (store.Latest{Stable: "1.0.0", Beta: "1.1.0-beta.1"}) || app.Name != "App notes" ||
			app.Publisher != "Ada ada@example.org" || app.Signed == nil || app.HookID == "" || app.HookSecret == "" ||
			strings.Join(app.Categories, ",") != "productivity" || app.Origin != st.Origin() {
			t.Fatalf("app %+v", app)
		}
		if _, _, err := st.CreateApp(ctx, pub, store.Indexed{Slug: "notes", Versions: []entry.Version{version("notes", "2.0.0", "X")}}); !errors.Is(err, store.ErrExists) {
			t.Errorf("same slug again: %v", err)
		}
		_, es := feed(t, st, signer.Fingerprint())
		if got := kinds(es); got != "version:1.0.0 version:1.1.0-beta.1 app: " {
			t.Fatalf("feed %q", got)
		}
		for _, e := range es {
			if e.Origin != st.Origin() || e.Slug != "notes" {
				t.Errorf("entry %+v", e)
			}
		}
		got, err := st.App(ctx, st.Origin().Key, "notes")
		if err != nil || got.ID != app.ID || got.Refs[":slug"] != "notes" {
			t.Fatalf("App: %+v, %v", got, err)
		}
		if _, err := st.App(ctx, st.Origin().Key, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("App nope: %v", err)
		}
		if h, err := st.AppByHook(ctx, app.HookID); err != nil || h.ID != app.ID {
			t.Errorf("AppByHook: %v", err)
		}
		vs, err := st.Versions(ctx, app.ID)
		if err != nil || len(vs) != 2 || vs[0].Version.Version != "1.1.0-beta.1" {
			t.Fatalf("Versions: %+v, %v", vs, err)
		}
		if e, err := entry.Open(&vs[0].Signed, signer.Fingerprint()); err != nil || e.Version.Version != "1.1.0-beta.1" {
			t.Errorf("version entry: %v", err)
		}
	})
}

func TestSaveIndex(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, st *store.Store, signer *entry.Signer) {
		ctx := context.Background()
		pub := publisher(t, st, "ada@example.org")
		app := createApp(t, st, pub, "notes", "1.0.0")
		in := store.Indexed{Slug: "notes", Versions: []entry.Version{version("notes", "1.0.0", "App notes"), version("notes", "1.1.0", "App notes")},
			Dev: devVersion("notes", "1.2.0", "a"), Problems: []string{"v0.9.0: bad"}, Refs: map[string]string{"refs/tags/v1.1.0": "x"}}
		got, added, err := st.SaveIndex(ctx, app.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(added) != 2 || added[0].Version.Version != "1.2.0" || added[1].Version.Version != "1.1.0" {
			t.Fatalf("added %+v", added)
		}
		if got.Latest != (store.Latest{Stable: "1.1.0", Dev: "1.2.0"}) || len(got.Problems) != 1 || got.Refs["refs/tags/v1.1.0"] != "x" {
			t.Fatalf("app %+v", got)
		}
		// A new dev head replaces the old one; the app entry is not published again.
		if _, _, err := st.SaveIndex(ctx, app.ID, store.Indexed{Slug: "notes", Dev: devVersion("notes", "1.2.1", "b")}); err != nil {
			t.Fatal(err)
		}
		vs, _ := st.Versions(ctx, app.ID)
		if len(vs) != 3 || vs[0].Version.Version != "1.2.1" || vs[0].Channel != manifest.ChannelDev {
			t.Fatalf("versions %+v", vs)
		}
		_, es := feed(t, st, signer.Fingerprint())
		if got := kinds(es); got != "version:1.0.0 app: version:1.1.0 version:dev version:dev " { // the dev head is one subject
			t.Errorf("feed %q", got)
		}
		if _, _, err := st.SaveIndex(ctx, app.ID, store.Indexed{Slug: "other"}); !errors.Is(err, store.ErrInput) {
			t.Errorf("slug change: %v", err)
		}
	})
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, st *store.Store, signer *entry.Signer) {
		ctx := context.Background()
		pub := publisher(t, st, "ada@example.org")
		app := createApp(t, st, pub, "notes", "1.0.0", "1.1.0")
		got, err := st.Deprecate(ctx, app.ID, &entry.Deprecation{Reason: "use notes2", Replacement: "notes2"})
		if err != nil || got.Deprecated == nil || got.Deprecated.Replacement != "notes2" {
			t.Fatalf("Deprecate: %+v, %v", got, err)
		}
		if got, err = st.Deprecate(ctx, app.ID, nil); err != nil || got.Deprecated != nil {
			t.Fatalf("undo: %+v, %v", got, err)
		}
		if _, err := st.Deprecate(ctx, app.ID, &entry.Deprecation{}); !errors.Is(err, store.ErrInput) {
			t.Errorf("empty reason: %v", err)
		}
		v, err := st.Yank(ctx, app.ID, "1.1.0", "broke sync")
		if err != nil || v.Yanked == nil || v.Yanked.Reason != "broke sync" {
			t.Fatalf("Yank: %+v, %v", v, err)
		}
		if _, err := st.Yank(ctx, app.ID, "9.9.9", "x"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("yank unknown: %v", err)
		}
		if a, _ := st.App(ctx, st.Origin().Key, "notes"); a.Latest.Stable != "1.0.0" {
			t.Errorf("latest after yank: %+v", a.Latest)
		}
		adv := entry.Advisory{ID: "HSA-2026-1", Summary: "XSS in titles", Severity: "high", Fixed: "1.1.1"}
		if _, err := st.PutAdvisory(ctx, app.ID, adv); err != nil {
			t.Fatal(err)
		}
		adv.Severity = "critical"
		if _, err := st.PutAdvisory(ctx, app.ID, adv); err != nil {
			t.Fatal(err)
		}
		if _, err := st.PutAdvisory(ctx, app.ID, entry.Advisory{ID: "x", Summary: "s", Severity: "bad", Fixed: "1.0.0"}); !errors.Is(err, store.ErrInput) {
			t.Errorf("bad severity: %v", err)
		}
		advs, err := st.Advisories(ctx, app.ID)
		if err != nil || len(advs) != 1 || advs[0].Severity != "critical" {
			t.Fatalf("Advisories: %+v, %v", advs, err)
		}
		_, es := feed(t, st, signer.Fingerprint())
		want := "version:1.0.0 version:1.1.0 app: app: app: version:1.1.0 advisory:advisory:HSA-2026-1 advisory:advisory:HSA-2026-1 "
		if got := kinds(es); got != want {
			t.Errorf("feed %q\nwant %q", got, want)
		}
		if es[3].App.Deprecated == nil || es[4].App.Deprecated != nil || es[5].Version.Yanked == nil {
			t.Errorf("entries do not say what happened: %+v %+v %+v", es[3].App, es[4].App, es[5].Version)
		}
	})
}

// TestConcurrentPublishes checks that concurrent writers never share a seq
// and that the feed lists every entry once, in order.
func TestConcurrentPublishes(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, st *store.Store, signer *entry.Signer) {
		ctx := context.Background()
		pub := publisher(t, st, "ada@example.org")
		ids := []int64{createApp(t, st, pub, "one", "1.0.0").ID, createApp(t, st, pub, "two", "1.0.0").ID}
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := range 40 {
			wg.Go(func() {
				reason := []string{"old", "older"}[i%2]
				_, err := st.Deprecate(ctx, ids[i%2], &entry.Deprecation{Reason: reason})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		changes, es := feed(t, st, signer.Fingerprint())
		if len(changes) != 44 {
			t.Fatalf("%d changes, want 44", len(changes))
		}
		for i, c := range changes {
			if es[i].Seq != c.Seq {
				t.Errorf("change %d holds entry seq %d", c.Seq, es[i].Seq)
			}
		}
		page, more, err := st.Changes(ctx, changes[9].Seq, 10)
		if err != nil || !more || len(page) != 10 || page[0].Seq != changes[10].Seq {
			t.Errorf("Changes(since, 10): %d, %v, %v", len(page), more, err)
		}
	})
}
