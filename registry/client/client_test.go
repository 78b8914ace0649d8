package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/registry/client"
	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/gitsource"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

var local = gitsource.Policy{AllowPrivate: true}

func dial(t *testing.T, url, key string) *client.Client {
	t.Helper()
	c, err := client.New(url, key, local)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCheckPinsTheKey(t *testing.T) {
	ctx := context.Background()
	f := newFakeRegistry(t)
	wk, err := dial(t, f.srv.URL+"/", f.signer.Fingerprint()).Check(ctx)
	if err != nil || wk.Name != "apps.test" {
		t.Fatalf("Check = %+v, %v", wk, err)
	}
	other, _ := entry.GenerateSigner()
	f.wellKnown = other.Fingerprint()
	_, err = dial(t, f.srv.URL, f.signer.Fingerprint()).Check(ctx)
	if !errors.Is(err, client.ErrKeyMismatch) || !strings.Contains(err.Error(), other.Fingerprint()) || !strings.Contains(err.Error(), f.signer.Fingerprint()) {
		t.Fatalf("key mismatch: %v, want ErrKeyMismatch naming both keys", err)
	}
	for _, bad := range []struct{ url, key string }{
		{"ftp://x", f.signer.Fingerprint()}, {"https://x/?q=1", f.signer.Fingerprint()},
		{"https://u:p@x", f.signer.Fingerprint()}, {"https://x", "ed25519:short"},
	} {
		if _, err := client.New(bad.url, bad.key, local); err == nil {
			t.Errorf("New(%q, %q) accepted", bad.url, bad.key)
		}
	}
}

func TestAppVersionsAndArchiveFromSignedEntries(t *testing.T) {
	ctx := context.Background()
	f := newFakeRegistry(t)
	f.publishApp(&entry.Deprecation{Reason: "Use Notes 2", Replacement: "notes2"})
	f.publishVersion("1.0.0", nil)
	f.publishVersion("1.1.0", nil)
	f.publishVersion("1.0.0", &entry.Yank{Reason: "loses notes"}) // a later entry yanks 1.0.0
	f.advisories = append(f.advisories, f.sign(&entry.Entry{Kind: entry.KindAdvisory,
		Advisory: &entry.Advisory{ID: "HSA-1", Summary: "XSS in titles", Severity: "high", Fixed: "1.1.0"}}))
	c := dial(t, f.srv.URL, f.signer.Fingerprint())

	a, err := c.App(ctx, "notes", "")
	if err != nil {
		t.Fatal(err)
	}
	if a.Info.Name != "Notes" || a.Info.Deprecated == nil || a.Info.Deprecated.Replacement != "notes2" || a.Origin.Key != f.signer.Fingerprint() {
		t.Errorf("app = %+v", a)
	}
	if len(a.Versions) != 2 || a.Versions[0].Version != "1.1.0" || a.Version(manifest.ChannelStable, "1.0.0").Yanked == nil {
		t.Errorf("versions: %+v", a.Versions)
	}
	if l := a.Latest(manifest.ChannelStable); l == nil || l.Version != "1.1.0" {
		t.Errorf("latest stable: %+v", l)
	}
	if adv := a.Affecting("1.0.0"); len(adv) != 1 || adv[0].ID != "HSA-1" || len(a.Affecting("1.1.0")) != 0 {
		t.Errorf("advisories affecting: %+v", adv)
	}
	vs, err := c.Versions(ctx, "notes", f.signer.Fingerprint())
	if err != nil || len(vs) != 2 {
		t.Fatalf("Versions = %v, %v", vs, err)
	}

	// The unsigned JSON around the entry is ignored: the archive comes from the signed sha256.
	f.versions = f.versions[:2]
	v, err := c.Latest(ctx, "notes", "", manifest.ChannelStable)
	if err != nil || v.Version != "1.1.0" {
		t.Fatalf("Latest = %+v, %v", v, err)
	}
	if c.ArchiveURL(v.ArchiveSHA256) != f.srv.URL+"/archives/"+v.ArchiveSHA256+".tar" {
		t.Errorf("archive URL %s", c.ArchiveURL(v.ArchiveSHA256))
	}
	snap, err := c.Archive(ctx, v)
	if err != nil || snap.Tree != v.Tree || snap.Commit != v.Commit {
		t.Fatalf("Archive = %+v, %v", snap, err)
	}
	if _, err := c.Latest(ctx, "notes", "", manifest.ChannelBeta); !errors.Is(err, client.ErrVerify) {
		t.Errorf("a stable version for a beta request: %v", err)
	}
	f.versions = nil
	if _, err := c.Latest(ctx, "notes", "", manifest.ChannelStable); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("no version: %v", err)
	}
	icon, ctype, err := c.Icon(ctx, "notes", "")
	if err != nil || ctype != "image/svg+xml" || len(icon) == 0 {
		t.Errorf("Icon = %q %q %v", icon, ctype, err)
	}
}

func TestRefusesWhatIsNotSignedByThePinnedKeyAndTheOrigin(t *testing.T) {
	ctx := context.Background()
	stranger, _ := entry.GenerateSigner()
	// forged is a version entry in the stranger's name that the registry made up: it carries
	// the registry's signature only.
	forged := func(f *fakeRegistry, e *entry.Entry) *entry.Signed {
		e.Origin = entry.Origin{Name: "other", Key: stranger.Fingerprint()}
		data, _ := json.Marshal(e)
		sg := &entry.Signed{Entry: data}
		f.signer.Countersign(sg)
		return sg
	}
	tests := []struct {
		name string
		edit func(f *fakeRegistry) (pinned, origin string)
		is   error
	}{
		{"pinned another key", func(f *fakeRegistry) (string, string) {
			return stranger.Fingerprint(), f.signer.Fingerprint()
		}, entry.ErrSignature},
		{"tampered entry", func(f *fakeRegistry) (string, string) {
			sg := f.versions[0]
			sg.Entry = json.RawMessage(strings.Replace(string(sg.Entry), `"archive_size":`, `"archive_size":1`, 1))
			return f.signer.Fingerprint(), ""
		}, entry.ErrSignature},
		{"forged origin", func(f *fakeRegistry) (string, string) {
			app := &entry.Entry{Kind: entry.KindApp, Slug: "notes", Seq: 1, Time: time.Now(),
				App: &entry.App{Name: "Notes", Source: "https://git.example/n.git"}}
			f.app = forged(f, app)
			return f.signer.Fingerprint(), stranger.Fingerprint()
		}, entry.ErrSignature},
		{"entry of another app", func(f *fakeRegistry) (string, string) {
			f.app, _ = f.signer.Sign(&entry.Entry{Kind: entry.KindApp, Origin: f.origin, Slug: "other", Seq: 99, Time: time.Now(),
				App: &entry.App{Name: "Other", Source: "https://x.example/o.git"}})
			return f.signer.Fingerprint(), ""
		}, client.ErrVerify},
		{"no signed entry", func(f *fakeRegistry) (string, string) {
			f.app = nil
			return f.signer.Fingerprint(), ""
		}, client.ErrVerify},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeRegistry(t)
			f.publishApp(nil)
			f.publishVersion("1.0.0", nil)
			pinned, origin := tt.edit(f)
			_, err := dial(t, f.srv.URL, pinned).App(ctx, "notes", origin)
			if !errors.Is(err, tt.is) || !errors.Is(err, client.ErrVerify) {
				t.Fatalf("App = %v, want %v", err, tt.is)
			}
		})
	}

	// A mirror that countersigns the origin's entries is trusted with its own pinned key.
	f := newFakeRegistry(t)
	f.publishApp(nil)
	f.publishVersion("1.0.0", nil)
	mirror, _ := entry.GenerateSigner()
	for _, sg := range append(f.versions, f.app) {
		mirror.Countersign(sg)
	}
	if _, err := dial(t, f.srv.URL, mirror.Fingerprint()).App(ctx, "notes", f.signer.Fingerprint()); err != nil {
		t.Errorf("through a mirror: %v", err)
	}
	if _, err := dial(t, f.srv.URL, mirror.Fingerprint()).App(ctx, "notes", stranger.Fingerprint()); !errors.Is(err, client.ErrVerify) {
		t.Errorf("an origin other than the entries': %v", err)
	}
}

func TestArchiveMustMatchTheSignedVersion(t *testing.T) {
	ctx := context.Background()
	f := newFakeRegistry(t)
	f.publishApp(nil)
	e := f.publishVersion("1.0.0", nil)
	c := dial(t, f.srv.URL, f.signer.Fingerprint())
	v, err := c.Latest(ctx, "notes", "", manifest.ChannelStable)
	if err != nil {
		t.Fatal(err)
	}
	// Other bytes under the signed hash: refused before they are read.
	good := f.archives[e.Version.ArchiveSHA256]
	other, _, _ := buildArchive(t, manifestOf("1.0.0"), "<script>evil()</script>")
	f.archives[e.Version.ArchiveSHA256] = other
	if _, err := c.Archive(ctx, v); !errors.Is(err, client.ErrVerify) {
		t.Errorf("other bytes: %v", err)
	}
	f.archives[e.Version.ArchiveSHA256] = good
	// The right bytes, but a signed tree that is not theirs.
	lie := *v
	lie.Tree = strings.Repeat("f", 40)
	if _, err := c.Archive(ctx, &lie); !errors.Is(err, client.ErrVerify) || !strings.Contains(err.Error(), "tree") {
		t.Errorf("tree mismatch: %v", err)
	}
	// A registry on loopback is refused unless the policy allows it.
	strict, _ := client.New(f.srv.URL, f.signer.Fingerprint(), gitsource.Policy{})
	if _, err := strict.Check(ctx); !errors.Is(err, gitsource.ErrAddress) || !errors.Is(err, client.ErrUnreachable) {
		t.Errorf("loopback without AllowPrivate: %v", err)
	}
	if _, err := strict.Archive(ctx, v); !errors.Is(err, gitsource.ErrAddress) {
		t.Errorf("archive on loopback without AllowPrivate: %v", err)
	}
}

func TestListChecksEveryField(t *testing.T) {
	f := newFakeRegistry(t)
	key := f.signer.Fingerprint()
	f.listing = `{"apps": [
	  {"slug": "notes", "origin": {"name": "apps.test", "key": "` + key + `"}, "name": "<b>Notes</b>", "source": "https://g.example/n.git",
	   "latest": {"stable": "1.0.0", "beta": "not a version"}, "deprecated": {"reason": "old"}},
	  {"slug": "../etc", "origin": {"name": "apps.test", "key": "` + key + `"}, "name": "Bad"},
	  {"slug": "x", "origin": {"name": "apps.test", "key": "rsa:1"}, "name": "Bad key"},
	  null
	], "next_cursor": "abc"}`
	p, err := dial(t, f.srv.URL, key).List(context.Background(), client.Query{Q: "notes", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Apps) != 1 || p.Refused != 3 || p.NextCursor != "abc" {
		t.Fatalf("page = %+v", p)
	}
	l := p.Apps[0]
	if l.Name != "<b>Notes</b>" || l.Latest["stable"] != "1.0.0" || l.Latest["beta"] != "" || l.Deprecated == nil || l.ID().Slug != "notes" {
		t.Errorf("listing = %+v", l)
	}
}
