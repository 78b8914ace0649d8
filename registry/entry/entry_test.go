package entry_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/registry/entry"
)

const notesManifest = `{"slug":"notes","name":"Notes","version":"1.2.0","kind":"static",
 "permissions":{"notes":{"doctype":"io.hearth.notes","description":"To keep your notes."}}}`

func newSigner(t *testing.T) *entry.Signer {
	t.Helper()
	s, err := entry.GenerateSigner()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func versionEntry(s *entry.Signer) *entry.Entry {
	return &entry.Entry{
		Kind:   entry.KindVersion,
		Origin: entry.Origin{Name: "apps.example", Key: s.Fingerprint(), URL: "https://apps.example"},
		Slug:   "notes", Seq: 7, Time: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC),
		Version: &entry.Version{
			Version: "1.2.0", Channel: "stable", Tag: "v1.2.0",
			Commit: strings.Repeat("a", 40), Tree: strings.Repeat("b", 40),
			Manifest: json.RawMessage(notesManifest), ArchiveSHA256: strings.Repeat("c", 64), ArchiveSize: 4096,
		},
	}
}

func TestSignAndOpen(t *testing.T) {
	origin, mirror, stranger := newSigner(t), newSigner(t), newSigner(t)
	sg, err := origin.Sign(versionEntry(origin))
	if err != nil {
		t.Fatal(err)
	}
	e, err := entry.Open(sg, origin.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	if e.ID() != (entry.AppID{Origin: origin.Fingerprint(), Slug: "notes"}) || e.Subject() != "1.2.0" {
		t.Errorf("opened %+v", e)
	}
	dev := versionEntry(origin)
	dev.Version.Tag, dev.Version.Channel = "", "dev"
	if dev.Subject() != "dev" {
		t.Errorf("the dev head's subject is %q: it would replace release %s", dev.Subject(), dev.Version.Version)
	}
	if _, err := entry.Open(sg, mirror.Fingerprint()); !errors.Is(err, entry.ErrSignature) {
		t.Errorf("open with a key that did not sign: %v", err)
	}

	// A mirror countersigns the origin's bytes: who trusts the mirror can open it.
	wire, _ := json.Marshal(sg)
	var got entry.Signed
	if err := json.Unmarshal(wire, &got); err != nil {
		t.Fatal(err)
	}
	mirror.Countersign(&got)
	mirror.Countersign(&got)
	if len(got.Signatures) != 2 {
		t.Fatalf("signatures after two countersigns: %d", len(got.Signatures))
	}
	if _, err := entry.Open(&got, mirror.Fingerprint()); err != nil {
		t.Errorf("open through the mirror: %v", err)
	}

	// A mirror cannot make up an entry in the origin's name.
	forged := versionEntry(origin)
	forged.Version.ArchiveSHA256 = strings.Repeat("d", 64)
	data, _ := json.Marshal(forged)
	fake := &entry.Signed{Entry: data}
	mirror.Countersign(fake)
	if _, err := entry.Open(fake, mirror.Fingerprint()); !errors.Is(err, entry.ErrSignature) {
		t.Errorf("forged origin entry: %v", err)
	}

	// One byte changed breaks every signature.
	tampered := entry.Signed{Entry: []byte(strings.Replace(string(sg.Entry), "4096", "4097", 1)), Signatures: sg.Signatures}
	if _, err := entry.Open(&tampered, origin.Fingerprint()); !errors.Is(err, entry.ErrSignature) {
		t.Errorf("tampered entry: %v", err)
	}
	// A signature moved to another key's name does not verify.
	moved := entry.Signed{Entry: sg.Entry, Signatures: []entry.Signature{{Key: stranger.Fingerprint(), Sig: sg.Signatures[0].Sig}}}
	if moved.VerifiedBy(stranger.Fingerprint()) {
		t.Error("a signature verified under another key")
	}
	if _, err := stranger.Sign(versionEntry(origin)); !errors.Is(err, entry.ErrFormat) {
		t.Errorf("signing another origin's entry: %v", err)
	}
}

func TestCheckRefusesBadEntries(t *testing.T) {
	s := newSigner(t)
	cases := []struct {
		name, want string
		edit       func(*entry.Entry)
	}{
		{"bad slug", "slug", func(e *entry.Entry) { e.Slug = "../etc" }},
		{"bad origin key", "origin.key", func(e *entry.Entry) { e.Origin.Key = "rsa:abc" }},
		{"html in origin name", "origin.name", func(e *entry.Entry) { e.Origin.Name = "<script>" }},
		{"no seq", "seq", func(e *entry.Entry) { e.Seq = 0 }},
		{"two payloads", "exactly one", func(e *entry.Entry) { e.App = &entry.App{Name: "x", Source: "https://x"} }},
		{"wrong kind", "kind", func(e *entry.Entry) { e.Kind = "app" }},
		{"short commit", "version.commit", func(e *entry.Entry) { e.Version.Commit = "abc" }},
		{"upper hex sha", "archive_sha256", func(e *entry.Entry) { e.Version.ArchiveSHA256 = strings.Repeat("C", 64) }},
		{"channel lies", "version.channel", func(e *entry.Entry) { e.Version.Channel = "beta" }},
		{"manifest of another app", "version.manifest", func(e *entry.Entry) { e.Slug = "other" }},
		{"broken manifest", "version.manifest", func(e *entry.Entry) { e.Version.Manifest = json.RawMessage(`{"slug":1}`) }},
		{"empty yank reason", "yanked.reason", func(e *entry.Entry) { e.Version.Yanked = &entry.Yank{} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := versionEntry(s)
			c.edit(e)
			err := e.Check()
			if !errors.Is(err, entry.ErrFormat) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Check = %v, want ErrFormat naming %q", err, c.want)
			}
		})
	}
	adv := &entry.Entry{Kind: entry.KindAdvisory, Origin: versionEntry(s).Origin, Slug: "notes", Seq: 1, Time: time.Now(),
		Advisory: &entry.Advisory{ID: "HSA-1", Summary: "XSS in the note title", Severity: "high", Fixed: "1.2.1"}}
	if err := adv.Check(); err != nil {
		t.Fatal(err)
	}
	if !adv.Advisory.Affects("1.2.0") || adv.Advisory.Affects("1.2.1") || adv.Advisory.Affects("1.3.0-beta.1") {
		t.Error("Affects is wrong around the fixed version")
	}
	adv.Advisory.Severity = "urgent"
	if err := adv.Check(); !errors.Is(err, entry.ErrFormat) {
		t.Errorf("unknown severity: %v", err)
	}
	if _, err := entry.Decode([]byte(`{"kind":"app"} {}`)); !errors.Is(err, entry.ErrFormat) {
		t.Errorf("trailing data: %v", err)
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "registry.key")
	a, err := entry.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := entry.LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if a.Fingerprint() != b.Fingerprint() {
		t.Error("the key changed between loads")
	}
	pub, err := entry.ParseFingerprint(a.Fingerprint())
	if err != nil || !pub.Equal(a.PublicKey()) {
		t.Errorf("ParseFingerprint: %v", err)
	}
	for _, bad := range []string{"", "ed25519:", "ed25519:abc", "ssh-ed25519:" + strings.Repeat("A", 43)} {
		if _, err := entry.ParseFingerprint(bad); !errors.Is(err, entry.ErrKey) {
			t.Errorf("ParseFingerprint(%q) = %v", bad, err)
		}
	}
}
