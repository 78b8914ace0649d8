package follow_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/internal/testsvc"
	"github.com/hearth-cloud/hearth/registry/follow"
)

func TestFollowMirrorsAPeer(t *testing.T) {
	for _, db := range []struct {
		name string
		url  func(*testing.T) string
	}{{"sqlite", func(*testing.T) string { return "" }}, {"postgres", func(t *testing.T) string { return testsvc.PostgreSQL(t) }}} {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			a, b := newRegistry(t, "a.test", ""), newRegistry(t, "b.test", db.url(t))
			token := a.publish("notes", "1.0.0", "1.1.0")
			p := b.follow(a)
			rep := b.sync(p)
			if rep.Applied == 0 || rep.Refused != 0 || rep.PeerName != "a.test" {
				t.Fatalf("first sync: %+v", rep)
			}
			got, ok := b.app(a, "notes")
			if !ok || got.Origin.Key != a.signer.Fingerprint() || got.Latest.Stable != "1.1.0" || len(got.Versions) < 2 {
				t.Fatalf("b's view of a's app: ok=%v %+v", ok, got)
			}
			// b serves the archives it mirrored, and its feed countersigns a's entries.
			for _, v := range got.Versions {
				if st := b.call("GET", "/archives/"+v.ArchiveSHA256+".tar", "", nil, nil); st != http.StatusOK {
					t.Errorf("b's archive of %s: %d", v.Version, st)
				}
			}
			for _, e := range b.feed() {
				if e.Origin.Key != a.signer.Fingerprint() {
					t.Errorf("b's feed holds an entry of origin %s", e.Origin.Name)
				}
			}
			if _, ok := b.app(b, "notes"); ok {
				t.Error("the mirrored app shows as b's own")
			}

			// Yank and deprecation come through the feed; a pass with nothing new stores nothing.
			if st := a.call("POST", "/api/v1/apps/notes/versions/1.0.0/yank", token, map[string]string{"reason": "loses notes"}, nil); st != http.StatusOK {
				t.Fatalf("yank: %d", st)
			}
			if st := a.call("POST", "/api/v1/apps/notes/deprecate", token, map[string]string{"reason": "use notes2"}, nil); st != http.StatusOK {
				t.Fatalf("deprecate: %d", st)
			}
			if rep := b.sync(p); rep.Applied != 2 {
				t.Errorf("second sync applied %d, want the yank and the deprecation", rep.Applied)
			}
			got, _ = b.app(a, "notes")
			if got.Deprecated == nil || got.Deprecated.Reason != "use notes2" {
				t.Errorf("deprecation not mirrored: %+v", got.Deprecated)
			}
			for _, v := range got.Versions {
				if (v.Version == "1.0.0") != (v.Yanked != nil) {
					t.Errorf("version %s yanked=%v", v.Version, v.Yanked)
				}
			}
			if rep := b.sync(p); rep.Applied+rep.Skipped+rep.Refused != 0 {
				t.Errorf("a pass with nothing new: %+v", rep)
			}

			// A third registry following b gets a's app through b, origin kept.
			c := newRegistry(t, "c.test", "")
			c.sync(c.follow(b))
			if got, ok := c.app(a, "notes"); !ok || got.Latest.Stable != "1.1.0" {
				t.Errorf("c's view of a's app through b: ok=%v %+v", ok, got)
			}
		})
	}
}

func TestFollowNeverLetsAPeerOverwrite(t *testing.T) {
	t.Parallel()
	a, b, c := newRegistry(t, "a.test", ""), newRegistry(t, "b.test", ""), newRegistry(t, "c.test", "")
	a.publish("notes", "1.0.0")
	c.publish("notes", "2.0.0") // the same slug, another origin

	// a and b follow each other: a must refuse its own apps coming back from b.
	b.sync(b.follow(a))
	rep := a.sync(a.follow(b))
	if rep.Applied != 0 || rep.Refused == 0 {
		t.Errorf("a taking its own entries back from b: %+v", rep)
	}
	if got, _ := a.app(a, "notes"); got.Latest.Stable != "1.0.0" {
		t.Errorf("a's own app changed: %+v", got)
	}

	// b follows c too: two apps named notes, one per origin.
	b.sync(b.follow(c))
	fromA, okA := b.app(a, "notes")
	fromC, okC := b.app(c, "notes")
	if !okA || !okC || fromA.Latest.Stable != "1.0.0" || fromC.Latest.Stable != "2.0.0" {
		t.Errorf("b's two notes: a=%v %+v, c=%v %+v", okA, fromA, okC, fromC)
	}

	// c following a directly as well: a's app is already held through b... c has none, so it
	// takes it from the first peer; the second path is refused.
	c.sync(c.follow(b))
	rep = c.sync(c.follow(a))
	if rep.Applied != 0 || rep.Refused == 0 {
		t.Errorf("c taking a's app through a second path: %+v", rep)
	}
}

func TestFollowRefusesWhatDoesNotVerify(t *testing.T) {
	t.Parallel()
	a, b := newRegistry(t, "a.test", ""), newRegistry(t, "b.test", "")
	a.publish("notes", "1.0.0")
	ctx := context.Background()

	// A pinned key that is not the peer's: nothing is read.
	wrong := newRegistry(t, "x.test", "")
	p, err := b.st.AddPeer(ctx, a.url, wrong.signer.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.follower().Sync(ctx, p); !errors.Is(err, follow.ErrPeer) || !strings.Contains(err.Error(), "pinned") {
		t.Errorf("sync with the wrong key: %v", err)
	}

	// Entries changed in transit fail their signature; archives changed fail their hash.
	p = b.follow(a)
	tamperEntries := func(path string, body []byte) []byte {
		if path == "/api/v1/changes" {
			return bytes.ReplaceAll(body, []byte(`App notes`), []byte(`App n0tes`))
		}
		return body
	}
	a.tamper.Store(&tamperEntries)
	rep := b.sync(p)
	if rep.Applied != 0 || rep.Refused == 0 || !strings.Contains(strings.Join(rep.Reasons, " "), "signature") {
		t.Errorf("tampered entries: %+v", rep)
	}
	p.Cursor = 0
	tamperArchives := func(path string, body []byte) []byte {
		if strings.HasPrefix(path, "/archives/") && len(body) > 600 {
			body[600] ^= 1
		}
		return body
	}
	a.tamper.Store(&tamperArchives)
	rep = b.sync(p)
	if !strings.Contains(strings.Join(rep.Reasons, " "), "sha256") {
		t.Errorf("tampered archive: %+v", rep)
	}
	for _, e := range b.feed() {
		if e.Version != nil {
			t.Errorf("b stored version %s whose archive did not verify", e.Version.Version)
		}
	}
}

func TestFollowKeepsGoingWhenThePeerIsDown(t *testing.T) {
	t.Parallel()
	a, b := newRegistry(t, "a.test", ""), newRegistry(t, "b.test", "")
	a.publish("notes", "1.0.0")
	p := b.follow(a)
	a.down.Store(true)
	if _, err := b.follower().Sync(context.Background(), p); !errors.Is(err, follow.ErrPeer) {
		t.Fatalf("sync of a peer that is down: %v", err)
	}
	peers, _ := b.st.Peers(context.Background())
	if len(peers) != 1 || !strings.Contains(peers[0].LastError, "503") {
		t.Errorf("peer state after a failure: %+v", peers)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.follower().Run(ctx, b.st.Peers, 20*time.Millisecond); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	time.Sleep(50 * time.Millisecond) // a few failed passes
	a.down.Store(false)
	deadline := time.Now().Add(20 * time.Second)
	for {
		peers, _ = b.st.Peers(context.Background())
		if _, ok := b.app(a, "notes"); ok && !peers[0].LastOK.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			peers, _ := b.st.Peers(context.Background())
			t.Fatalf("b never mirrored a after it came back: %+v", peers)
		}
		time.Sleep(20 * time.Millisecond)
	}
	peers, _ = b.st.Peers(context.Background())
	if peers[0].LastError != "" || peers[0].LastOK.IsZero() || peers[0].Cursor == 0 {
		t.Errorf("peer state after recovery: %+v", peers[0])
	}
}
