package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/hearth-cloud/hearth/internal/testsvc"
	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/manifest"
	"github.com/hearth-cloud/hearth/registry/store"
)

// backend opens a new, empty store signing with signer.
type backend struct {
	name string
	open func(t *testing.T, signer *entry.Signer) *store.Store
}

// backends are SQLite and a real PostgreSQL: every conformance test runs on both.
var backends = []backend{
	{"sqlite", func(t *testing.T, signer *entry.Signer) *store.Store {
		return openStore(t, "", signer)
	}},
	{"postgres", func(t *testing.T, signer *entry.Signer) *store.Store {
		return openStore(t, testsvc.PostgreSQL(t), signer)
	}},
}

func openStore(t *testing.T, url string, signer *entry.Signer) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), url, t.TempDir(), store.Options{Origin: originOf("reg.test", signer), Signer: signer})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// each runs test on a new store of every backend, in parallel.
func each(t *testing.T, test func(t *testing.T, st *store.Store, signer *entry.Signer)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			signer := newSigner(t)
			test(t, b.open(t, signer), signer)
		})
	}
}

func newSigner(t testing.TB) *entry.Signer {
	t.Helper()
	s, err := entry.GenerateSigner()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func originOf(name string, s *entry.Signer) entry.Origin {
	return entry.Origin{Name: name, Key: s.Fingerprint(), URL: "https://" + name}
}

// hexOf is a hex digest of s, n digits long.
func hexOf(s string, n int) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:n]
}

// version is a valid version entry of slug.
func version(slug, v, name string) entry.Version {
	return versionWith(slug, v, name, "Keep "+name+" notes", "productivity")
}

// versionWith is a valid version entry with this description and these categories.
func versionWith(slug, v, name, description string, categories ...string) entry.Version {
	m := map[string]any{"slug": slug, "name": name, "version": v, "kind": "static",
		"description": description, "categories": categories}
	data, _ := json.Marshal(m)
	if _, err := manifest.Load(data); err != nil {
		panic(err)
	}
	sv, _ := manifest.ParseVersion(v)
	return entry.Version{Version: v, Channel: sv.Channel(), Tag: "v" + v, Commit: hexOf(slug+v+"c", 40),
		Tree: hexOf(slug+v+"t", 40), Manifest: data, ArchiveSHA256: hexOf(slug+v, 64), ArchiveSize: 1024}
}

// devVersion is the dev version v of slug at commit.
func devVersion(slug, v, commit string) *entry.Version {
	ev := version(slug, v, "Dev "+slug)
	ev.Tag, ev.Channel, ev.Commit = "", manifest.ChannelDev, hexOf(commit, 40)
	return &ev
}

// publisher creates a publisher and returns its id.
func publisher(t *testing.T, st *store.Store, email string) int64 {
	t.Helper()
	p, _, err := st.CreatePublisher(context.Background(), email, "correct horse battery", "Ada "+email)
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// createApp submits slug with versions vs.
func createApp(t *testing.T, st *store.Store, pub int64, slug string, vs ...string) *store.App {
	t.Helper()
	in := store.Indexed{GitURL: "https://git.test/" + slug + ".git", Slug: slug, Refs: map[string]string{":slug": slug}}
	for _, v := range vs {
		in.Versions = append(in.Versions, version(slug, v, "App "+slug))
	}
	app, _, err := st.CreateApp(context.Background(), pub, in)
	if err != nil {
		t.Fatalf("CreateApp %s: %v", slug, err)
	}
	return app
}

// feed returns every change, each opened with key.
func feed(t *testing.T, st *store.Store, key string) ([]store.Change, []*entry.Entry) {
	t.Helper()
	changes, more, err := st.Changes(context.Background(), 0, 1000)
	if err != nil || more {
		t.Fatalf("Changes: %v, more %v", err, more)
	}
	var es []*entry.Entry
	for i, c := range changes {
		e, err := entry.Open(&c.Signed, key)
		if err != nil {
			t.Fatalf("change %d: %v", c.Seq, err)
		}
		if i > 0 && c.Seq <= changes[i-1].Seq {
			t.Fatalf("seqs out of order: %d after %d", c.Seq, changes[i-1].Seq)
		}
		es = append(es, e)
	}
	return changes, es
}

func kinds(es []*entry.Entry) string {
	s := ""
	for _, e := range es {
		s += fmt.Sprintf("%s:%s ", e.Kind, e.Subject())
	}
	return s
}
