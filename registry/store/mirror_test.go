package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/store"
)

// mirror signs e as the peer's origin and mirrors it into st.
func mirror(t *testing.T, st *store.Store, p *store.Peer, origin *entry.Signer, e entry.Entry) (bool, error) {
	t.Helper()
	e.Origin = originOf("peer.test", origin)
	if e.Time.IsZero() {
		e.Time = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	}
	sg, err := origin.Sign(&e)
	if err != nil {
		t.Fatal(err)
	}
	opened, err := entry.Open(sg, origin.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	return st.Mirror(context.Background(), p, sg, opened)
}

func TestPeers(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, st *store.Store, signer *entry.Signer) {
		ctx := context.Background()
		k1, k2 := newSigner(t).Fingerprint(), newSigner(t).Fingerprint()
		p, err := st.AddPeer(ctx, "https://a.test", k1)
		if err != nil {
			t.Fatal(err)
		}
		again, err := st.AddPeer(ctx, "https://a.test", k2)
		if err != nil || again.ID != p.ID || again.Key != k2 {
			t.Fatalf("AddPeer again: %+v, %v", again, err)
		}
		if _, err := st.AddPeer(ctx, "https://b.test", "nope"); !errors.Is(err, store.ErrInput) {
			t.Errorf("bad key: %v", err)
		}
		if _, err := st.AddPeer(ctx, "https://b.test", signer.Fingerprint()); !errors.Is(err, store.ErrInput) {
			t.Errorf("own key: %v", err)
		}
		ok := time.Now()
		again.Name, again.Cursor, again.LastError, again.LastOK = "a.test", 42, "down", ok
		if err := st.SavePeer(ctx, again); err != nil {
			t.Fatal(err)
		}
		peers, err := st.Peers(ctx)
		if err != nil || len(peers) != 1 {
			t.Fatalf("Peers: %+v, %v", peers, err)
		}
		got := peers[0]
		if got.Name != "a.test" || got.Cursor != 42 || got.LastError != "down" || !got.LastOK.Equal(ok.Truncate(time.Microsecond)) {
			t.Errorf("peer %+v", got)
		}
		if err := st.SavePeer(ctx, &store.Peer{ID: 999}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SavePeer unknown: %v", err)
		}
	})
}

func TestMirror(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, st *store.Store, signer *entry.Signer) {
		ctx := context.Background()
		origin := newSigner(t)
		p, _ := st.AddPeer(ctx, "https://peer.test", origin.Fingerprint())
		other, _ := st.AddPeer(ctx, "https://other.test", newSigner(t).Fingerprint())
		v1 := version("notes", "1.0.0", "Notes")

		// A version before its app: the app row is described by the manifest.
		if ok, err := mirror(t, st, p, origin, entry.Entry{Kind: entry.KindVersion, Slug: "notes", Seq: 2, Version: &v1}); !ok || err != nil {
			t.Fatalf("version: %v, %v", ok, err)
		}
		app, err := st.App(ctx, origin.Fingerprint(), "notes")
		if err != nil || app.Name != "Notes" || app.Latest.Stable != "1.0.0" || app.PeerID != p.ID || app.Signed != nil {
			t.Fatalf("app from a version: %+v, %v", app, err)
		}
		if ok, err := mirror(t, st, p, origin, entry.Entry{Kind: entry.KindVersion, Slug: "notes", Seq: 2, Version: &v1}); ok || err != nil {
			t.Errorf("same seq again: %v, %v; want skipped", ok, err)
		}
		appEntry := entry.Entry{Kind: entry.KindApp, Slug: "notes", Seq: 3,
			App: &entry.App{Name: "Notes!", Source: "https://git.test/notes", Categories: []string{"productivity"}}}
		if ok, err := mirror(t, st, p, origin, appEntry); !ok || err != nil {
			t.Fatalf("app: %v, %v", ok, err)
		}
		appEntry.Seq, appEntry.App = 1, &entry.App{Name: "Old", Source: "https://git.test/notes"}
		if ok, err := mirror(t, st, p, origin, appEntry); ok || err != nil {
			t.Errorf("older app entry: %v, %v; want skipped", ok, err)
		}
		yanked := v1
		yanked.Yanked = &entry.Yank{Reason: "bad"}
		if ok, err := mirror(t, st, p, origin, entry.Entry{Kind: entry.KindVersion, Slug: "notes", Seq: 4, Version: &yanked}); !ok || err != nil {
			t.Fatalf("yank: %v, %v", ok, err)
		}
		adv := entry.Advisory{ID: "HSA-1", Summary: "bad", Severity: "low", Fixed: "1.0.1"}
		if ok, err := mirror(t, st, p, origin, entry.Entry{Kind: entry.KindAdvisory, Slug: "notes", Seq: 5, Advisory: &adv}); !ok || err != nil {
			t.Fatalf("advisory: %v, %v", ok, err)
		}
		if ok, err := mirror(t, st, p, origin, entry.Entry{Kind: entry.KindAdvisory, Slug: "notes", Seq: 5, Advisory: &adv}); ok || err != nil {
			t.Errorf("advisory again: %v, %v", ok, err)
		}
		app, _ = st.App(ctx, origin.Fingerprint(), "notes")
		if app.Name != "Notes!" || app.Latest.Stable != "" || app.Signed == nil {
			t.Errorf("app %+v", app)
		}
		vs, _ := st.Versions(ctx, app.ID)
		if len(vs) != 1 || vs[0].Yanked == nil {
			t.Errorf("versions %+v", vs)
		}
		if advs, _ := st.Advisories(ctx, app.ID); len(advs) != 1 {
			t.Errorf("advisories %+v", advs)
		}

		// Not this peer's: an app held through another peer, or one of ours.
		if _, err := mirror(t, st, other, origin, entry.Entry{Kind: entry.KindApp, Slug: "notes", Seq: 9, App: appEntry.App}); !errors.Is(err, store.ErrNotYours) {
			t.Errorf("other peer: %v, want ErrNotYours", err)
		}
		own := entry.Entry{Kind: entry.KindApp, Origin: st.Origin(), Slug: "mine", Seq: 1, Time: time.Now(), App: appEntry.App}
		sg, _ := signer.Sign(&own)
		if _, err := st.Mirror(ctx, p, sg, &own); !errors.Is(err, store.ErrNotYours) {
			t.Errorf("own origin: %v, want ErrNotYours", err)
		}
		pub := publisher(t, st, "ada@example.org")
		createApp(t, st, pub, "local", "1.0.0")

		// The feed holds what was applied, countersigned: a follower of this
		// registry opens it with this registry's key.
		changes, es := feed(t, st, signer.Fingerprint())
		if got := kinds(es[:4]); got != "version:1.0.0 app: version:1.0.0 advisory:advisory:HSA-1 " {
			t.Errorf("feed %q", got)
		}
		for _, c := range changes[:4] {
			if !c.Signed.VerifiedBy(origin.Fingerprint()) || !c.Signed.VerifiedBy(signer.Fingerprint()) {
				t.Errorf("change %d lacks a signature", c.Seq)
			}
		}
		if es[0].Origin.Key != origin.Fingerprint() {
			t.Errorf("origin not kept: %+v", es[0].Origin)
		}
	})
}
