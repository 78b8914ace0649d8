package client_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/registry/archive"
	"github.com/hearth-cloud/hearth/registry/client/clienttest"
	"github.com/hearth-cloud/hearth/registry/entry"
)

// fakeRegistry serves signed entries the way docs/registry.md says a registry does.
type fakeRegistry struct {
	t      *testing.T
	signer *entry.Signer
	origin entry.Origin
	srv    *httptest.Server
	seq    int64

	app        *entry.Signed
	versions   []*entry.Signed
	advisories []*entry.Signed
	archives   map[string][]byte // sha256 → archive
	wellKnown  string            // the key it publishes; "" its own
	listing    string            // the JSON of /api/v1/apps
}

func newFakeRegistry(t *testing.T) *fakeRegistry {
	t.Helper()
	s, err := entry.GenerateSigner()
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeRegistry{t: t, signer: s, archives: map[string][]byte{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	f.origin = entry.Origin{Name: "apps.test", Key: s.Fingerprint(), URL: f.srv.URL}
	return f
}

func (f *fakeRegistry) serve(w http.ResponseWriter, r *http.Request) {
	answer := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	wrap := func(list []*entry.Signed) []map[string]any {
		out := []map[string]any{}
		for _, sg := range list {
			out = append(out, map[string]any{"entry": sg})
		}
		return out
	}
	switch p := r.URL.Path; {
	case p == "/.well-known/hearth-registry":
		key := f.wellKnown
		if key == "" {
			key = f.signer.Fingerprint()
		}
		answer(map[string]string{"name": "apps.test", "key": key, "url": f.srv.URL, "api": "/api/v1"})
	case p == "/api/v1/apps":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, f.listing)
	case p == "/api/v1/apps/notes":
		answer(map[string]any{"slug": "notes", "name": "IGNORED", "entry": f.app, "versions": wrap(f.versions), "advisories": wrap(f.advisories)})
	case p == "/api/v1/apps/notes/versions":
		answer(map[string]any{"versions": wrap(f.versions)})
	case p == "/api/v1/apps/notes/latest":
		if len(f.versions) == 0 {
			w.WriteHeader(http.StatusNotFound)
			answer(map[string]string{"error": "no version on this channel"})
			return
		}
		answer(map[string]any{"version": "ignored", "archive_url": "http://169.254.169.254/evil.tar", "entry": f.versions[len(f.versions)-1]})
	case p == "/api/v1/apps/notes/icon":
		w.Header().Set("Content-Type", "image/svg+xml")
		io.WriteString(w, `<svg xmlns="http://www.w3.org/2000/svg"/>`)
	case strings.HasPrefix(p, "/archives/"):
		data, ok := f.archives[strings.TrimSuffix(strings.TrimPrefix(p, "/archives/"), ".tar")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	default:
		http.NotFound(w, r)
	}
}

// sign signs e as the registry, with the next sequence number.
func (f *fakeRegistry) sign(e *entry.Entry) *entry.Signed {
	f.t.Helper()
	f.seq++
	e.Origin, e.Slug, e.Seq, e.Time = f.origin, "notes", f.seq, time.Date(2026, 11, 1, 10, 0, 0, int(f.seq), time.UTC)
	sg, err := f.signer.Sign(e)
	if err != nil {
		f.t.Fatal(err)
	}
	return sg
}

func (f *fakeRegistry) publishApp(deprecated *entry.Deprecation) {
	f.app = f.sign(&entry.Entry{Kind: entry.KindApp, App: &entry.App{Name: "Notes", Description: "Take notes.",
		Source: "https://git.example/ada/notes.git", Publisher: "Ada", Deprecated: deprecated}})
}

// publishVersion builds the archive of version v and signs its entry.
func (f *fakeRegistry) publishVersion(v string, yank *entry.Yank) *entry.Entry {
	f.t.Helper()
	data, info, tree := buildArchive(f.t, manifestOf(v), "<h1>Notes "+v+"</h1>")
	f.archives[info.SHA256] = data
	e := &entry.Entry{Kind: entry.KindVersion, Version: &entry.Version{
		Version: v, Channel: "stable", Tag: "v" + v, Commit: strings.Repeat("a", 40), Tree: tree,
		Manifest: json.RawMessage(manifestOf(v)), ArchiveSHA256: info.SHA256, ArchiveSize: info.Size, Yanked: yank,
	}}
	f.versions = append(f.versions, f.sign(e))
	return e
}

func manifestOf(v string) string {
	return fmt.Sprintf(`{"slug":"notes","name":"Notes","version":%q,"kind":"static",
 "permissions":{"notes":{"doctype":"io.hearth.notes","description":"To keep your notes."}}}`, v)
}

// buildArchive returns an archive of an app's files, its info and its tree.
func buildArchive(t *testing.T, hearthJSON, index string) ([]byte, archive.Info, string) {
	t.Helper()
	return clienttest.BuildArchive(t, map[string]string{"hearth.json": hearthJSON, "index.html": index})
}
