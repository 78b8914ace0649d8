// Package clienttest serves a registry's API from memory, with signed entries and real
// archives, for the tests of what uses registry/client (an instance installing from a store).
package clienttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/registry/archive"
	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/gitsource"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// Registry is a registry serving from memory. Its methods publish signed entries as a real
// registry does on a publisher's request.
type Registry struct {
	URL    string
	Signer *entry.Signer
	Origin entry.Origin

	t        testing.TB
	mu       sync.Mutex
	seq      int64                // guarded by mu
	apps     map[entry.AppID]*app // guarded by mu: its own and those it mirrors
	archives map[string][]byte    // guarded by mu: sha256 → archive
	down     bool                 // guarded by mu: answer 503 to everything
}

type app struct {
	origin     entry.Origin
	info       entry.App
	entry      *entry.Signed
	versions   map[string]*entry.Signed // the latest entry of each version
	advisories map[string]*entry.Signed
	icon       []byte
}

// New starts a registry named name until the test ends.
func New(t testing.TB, name string) *Registry {
	t.Helper()
	s, err := entry.GenerateSigner()
	if err != nil {
		t.Fatal(err)
	}
	r := &Registry{Signer: s, t: t, apps: map[entry.AppID]*app{}, archives: map[string][]byte{}}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	r.Origin = entry.Origin{Name: name, Key: s.Fingerprint(), URL: srv.URL}
	return r
}

// Key is the registry's key fingerprint.
func (r *Registry) Key() string { return r.Signer.Fingerprint() }

// Trusted is "URL=KEY", as --registry takes it.
func (r *Registry) Trusted() string { return r.URL + "=" + r.Key() }

// SetDown makes the registry answer 503 to everything, or again normally.
func (r *Registry) SetDown(down bool) {
	r.mu.Lock()
	r.down = down
	r.mu.Unlock()
}

// sign signs e as the registry, with the next sequence number. Callers hold mu.
func (r *Registry) sign(slug string, e *entry.Entry) *entry.Signed {
	r.t.Helper()
	r.seq++
	e.Origin, e.Slug, e.Seq, e.Time = r.Origin, slug, r.seq, time.Now().UTC()
	sg, err := r.Signer.Sign(e)
	if err != nil {
		r.t.Fatalf("clienttest: sign: %v", err)
	}
	return sg
}

// PublishApp publishes (or replaces) the app entry of slug.
func (r *Registry) PublishApp(slug string, info entry.App) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.apps[r.id(slug)]
	if a == nil {
		a = &app{origin: r.Origin, versions: map[string]*entry.Signed{}, advisories: map[string]*entry.Signed{}}
		r.apps[r.id(slug)] = a
	}
	a.info = info
	a.entry = r.sign(slug, &entry.Entry{Kind: entry.KindApp, App: &info})
}

// Deprecate publishes the app's deprecation (nil: undo it).
func (r *Registry) Deprecate(slug string, d *entry.Deprecation) {
	r.mu.Lock()
	info := r.apps[r.id(slug)].info
	r.mu.Unlock()
	info.Deprecated = d
	r.PublishApp(slug, info)
}

// PublishVersion builds the archive of files (hearth.json included, which names the slug and
// version) and publishes its version entry. The app entry must exist.
func (r *Registry) PublishVersion(files map[string]string) *entry.Entry {
	r.t.Helper()
	m, err := manifest.Load([]byte(files[manifest.FileName]))
	if err != nil {
		r.t.Fatalf("clienttest: %v", err)
	}
	data, info, tree := BuildArchive(r.t, files)
	sv, _ := manifest.ParseVersion(m.Version)
	e := &entry.Entry{Kind: entry.KindVersion, Version: &entry.Version{
		Version: m.Version, Channel: sv.Channel(), Tag: "v" + m.Version, Commit: fmt.Sprintf("%040x", len(r.archives)+1), Tree: tree,
		Manifest: json.RawMessage(files[manifest.FileName]), ArchiveSHA256: info.SHA256, ArchiveSize: info.Size,
	}}
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.apps[r.id(m.Slug)]
	if a == nil {
		r.t.Fatalf("clienttest: publish a version of %s before its app", m.Slug)
	}
	r.archives[info.SHA256] = data
	a.versions[m.Version] = r.sign(m.Slug, e)
	if icon, ok := files[m.Icon]; ok && m.Icon != "" {
		a.icon = []byte(icon)
	}
	return e
}

// Yank publishes a yank of a version.
func (r *Registry) Yank(slug, version, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sg := r.apps[r.id(slug)].versions[version]
	e, err := entry.Decode(sg.Entry)
	if err != nil {
		r.t.Fatal(err)
	}
	e.Version.Yanked = &entry.Yank{Reason: reason}
	r.apps[r.id(slug)].versions[version] = r.sign(slug, e)
}

// Advise publishes a security advisory.
func (r *Registry) Advise(slug string, adv entry.Advisory) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.apps[r.id(slug)].advisories[adv.ID] = r.sign(slug, &entry.Entry{Kind: entry.KindAdvisory, Advisory: &adv})
}

func (r *Registry) id(slug string) entry.AppID { return entry.AppID{Origin: r.Key(), Slug: slug} }

// Mirror copies what other publishes now, countersigned by r, as a registry following it does.
func (r *Registry) Mirror(other *Registry) {
	other.mu.Lock()
	defer other.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	counter := func(sg *entry.Signed) *entry.Signed {
		c := &entry.Signed{Entry: sg.Entry, Signatures: slices.Clone(sg.Signatures)}
		r.Signer.Countersign(c)
		return c
	}
	for id, a := range other.apps {
		m := &app{origin: a.origin, info: a.info, entry: counter(a.entry), icon: a.icon,
			versions: map[string]*entry.Signed{}, advisories: map[string]*entry.Signed{}}
		for v, sg := range a.versions {
			m.versions[v] = counter(sg)
		}
		for id, sg := range a.advisories {
			m.advisories[id] = counter(sg)
		}
		r.apps[id] = m
	}
	for sha, data := range other.archives {
		r.archives[sha] = data
	}
}

// ReplaceArchive serves other bytes under the name of an archive (a tampering registry).
func (r *Registry) ReplaceArchive(sha string, data []byte) {
	r.mu.Lock()
	r.archives[sha] = data
	r.mu.Unlock()
}

// BuildArchive returns the archive of files, its sha256 and size, and its tree hash.
func BuildArchive(t testing.TB, files map[string]string) ([]byte, archive.Info, string) {
	t.Helper()
	var list []gitsource.File
	for path, content := range files {
		list = append(list, gitsource.NewFile(path, 0o644, int64(len(content)), func() (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader(content)), nil
		}))
	}
	snap, err := gitsource.NewSnapshot(list, gitsource.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	info, err := archive.Write(&buf, snap)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), info, snap.Tree
}

func (r *Registry) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		http.Error(w, `{"error": "down for maintenance"}`, http.StatusServiceUnavailable)
		return
	}
	p := req.URL.Path
	switch {
	case p == "/.well-known/hearth-registry":
		answer(w, http.StatusOK, map[string]string{"name": r.Origin.Name, "key": r.Key(), "url": r.URL,
			"api": "/api/v1", "changes": "/api/v1/changes", "archives": "/archives/"})
	case p == "/api/v1/apps":
		r.list(w, req.URL.Query().Get("q"))
	case strings.HasPrefix(p, "/api/v1/apps/"):
		slug, rest, _ := strings.Cut(strings.TrimPrefix(p, "/api/v1/apps/"), "/")
		a := r.apps[entry.AppID{Origin: req.URL.Query().Get("origin"), Slug: slug}]
		if a == nil {
			answer(w, http.StatusNotFound, map[string]string{"error": "no such app"})
			return
		}
		r.serveApp(w, req, slug, a, rest)
	case strings.HasPrefix(p, "/archives/"):
		data, ok := r.archives[strings.TrimSuffix(strings.TrimPrefix(p, "/archives/"), ".tar")]
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", "application/x-tar")
		w.Write(data)
	default:
		answer(w, http.StatusNotFound, map[string]string{"error": "not found"})
	}
}

func (r *Registry) serveApp(w http.ResponseWriter, req *http.Request, slug string, a *app, rest string) {
	switch rest {
	case "":
		body := r.listing(slug, a)
		body["entry"], body["versions"], body["advisories"] = a.entry, wrapped(a.versions), wrapped(a.advisories)
		answer(w, http.StatusOK, body)
	case "versions":
		answer(w, http.StatusOK, map[string]any{"versions": wrapped(a.versions)})
	case "latest":
		if v := latest(a, manifest.Channel(req.URL.Query().Get("channel"))); v != nil {
			answer(w, http.StatusOK, map[string]any{"entry": v})
			return
		}
		answer(w, http.StatusNotFound, map[string]string{"error": "no version on this channel"})
	case "icon":
		if a.icon == nil {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Write(a.icon)
	default:
		http.NotFound(w, req)
	}
}

func (r *Registry) list(w http.ResponseWriter, q string) {
	ids := make([]entry.AppID, 0, len(r.apps))
	for id := range r.apps {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })
	apps := []map[string]any{}
	for _, id := range ids {
		a := r.apps[id]
		text := strings.ToLower(id.Slug + " " + a.info.Name + " " + a.info.Description)
		if q != "" && !strings.Contains(text, strings.ToLower(q)) {
			continue
		}
		apps = append(apps, r.listing(id.Slug, a))
	}
	answer(w, http.StatusOK, map[string]any{"apps": apps})
}

// listing is the unsigned App object of the API.
func (r *Registry) listing(slug string, a *app) map[string]any {
	l := map[string]any{"slug": slug, "origin": a.origin, "name": a.info.Name, "description": a.info.Description,
		"publisher": a.info.Publisher, "source": a.info.Source, "categories": a.info.Categories,
		"icon": "/api/v1/apps/" + slug + "/icon?origin=" + a.origin.Key}
	if a.info.Deprecated != nil {
		l["deprecated"] = a.info.Deprecated
	}
	latestOf := map[string]string{}
	for _, ch := range []manifest.Channel{manifest.ChannelStable, manifest.ChannelBeta, manifest.ChannelDev} {
		if v := latest(a, ch); v != nil {
			e, _ := entry.Decode(v.Entry)
			latestOf[string(ch)] = e.Version.Version
		}
	}
	l["latest"] = latestOf
	return l
}

// latest is the newest non-yanked version of a on channel, or nil.
func latest(a *app, channel manifest.Channel) *entry.Signed {
	var best *entry.Signed
	var bestV manifest.Version
	for _, sg := range a.versions {
		e, _ := entry.Decode(sg.Entry)
		v, _ := manifest.ParseVersion(e.Version.Version)
		if e.Version.Channel == channel && e.Version.Yanked == nil && (best == nil || bestV.Less(v)) {
			best, bestV = sg, v
		}
	}
	return best
}

func wrapped(m map[string]*entry.Signed) []map[string]any {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := []map[string]any{}
	for _, k := range keys {
		out = append(out, map[string]any{"entry": m[k]})
	}
	return out
}

func answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
