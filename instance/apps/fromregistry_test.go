package apps_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	kivik "github.com/go-kivik/kivik/v4"

	"github.com/hearth-cloud/hearth/instance/apps"
	"github.com/hearth-cloud/hearth/registry/archive"
	"github.com/hearth-cloud/hearth/registry/client"
	"github.com/hearth-cloud/hearth/registry/client/clienttest"
	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/gitsource"
)

// files are an app's files at a version asking for perms ("doctype": `"GET", "POST"`).
func files(slug, version string, perms map[string]string) map[string]string {
	m := strings.Replace(hearthJSON(version, perms), `"slug": "notes", "name": "Notes"`, `"slug": "`+slug+`", "name": "`+strings.ToUpper(slug[:1])+slug[1:]+`"`, 1)
	return map[string]string{"hearth.json": m, "index.html": "<h1>" + slug + " " + version + "</h1>"}
}

// registryFixture is an apps.Service whose instances trust registries kept in a TrustStore.
type registryFixture struct {
	*fixture
	trust *apps.TrustStore
}

func newRegistryFixture(t *testing.T, trusted ...*clienttest.Registry) *registryFixture {
	t.Helper()
	f := newFixture(t)
	client, err := kivik.New("hearth", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	ts := &apps.TrustStore{Settings: func(id string) *kivik.DB { return client.DB("settings_" + id) }}
	for _, r := range trusted {
		ts.Default = append(ts.Default, apps.Registry{URL: r.URL, Key: r.Key()})
	}
	f.svc.Trust, f.svc.RegistryPolicy = ts, gitsource.Policy{AllowPrivate: true}
	return &registryFixture{fixture: f, trust: ts}
}

func (f *registryFixture) install(t *testing.T, instance string, ref apps.StoreRef) *apps.Installed {
	t.Helper()
	p, err := f.svc.PrepareFromRegistry(context.Background(), instance, ref)
	if err != nil {
		t.Fatalf("PrepareFromRegistry(%+v): %v", ref, err)
	}
	in, err := f.svc.Accept(context.Background(), instance, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestInstallAndUpdateFromARegistry(t *testing.T) {
	ctx := context.Background()
	reg := clienttest.New(t, "apps.test")
	reg.PublishApp("notes", entry.App{Name: "Notes", Source: "https://git.example/ada/notes.git"})
	reg.PublishVersion(files("notes", "1.0.0", map[string]string{"io.hearth.notes": `"GET"`}))
	reg.PublishVersion(files("notes", "1.1.0-beta.1", map[string]string{"io.hearth.notes": `"GET"`}))
	f := newRegistryFixture(t, reg)

	p, err := f.svc.PrepareFromRegistry(ctx, "i1", apps.StoreRef{Registry: reg.URL + "/", Slug: "notes"})
	if err != nil {
		t.Fatal(err)
	}
	rs := p.Source.Registry
	if p.Version != "1.0.0" || rs == nil || rs.Origin != reg.Key() || rs.OriginName != "apps.test" || rs.Channel != "stable" ||
		p.Source.URL != "https://git.example/ada/notes.git" || p.Commit != rs.Commit || p.Tree != rs.Tree || !p.NeedsApproval() {
		t.Fatalf("plan = %+v, registry %+v", p, rs)
	}
	in, err := f.svc.Accept(ctx, "i1", p.ID)
	if err != nil || in.Source.Registry == nil || in.Source.Registry.Key != reg.Key() {
		t.Fatalf("installed %+v, %v", in, err)
	}
	if res, err := f.svc.Update(ctx, "i1", "notes", ""); err != nil || !res.Current {
		t.Fatalf("update with nothing newer: %+v %v", res, err)
	}
	if _, err := f.svc.Update(ctx, "i1", "notes", "v9.0.0"); !errors.Is(err, apps.ErrSource) {
		t.Errorf("update of a registry app to a ref: %v", err)
	}

	// Nothing new asked: applied. More asked: waits, and asking again keeps the same plan.
	reg.PublishVersion(files("notes", "1.1.0", map[string]string{"io.hearth.notes": `"GET"`}))
	res, err := f.svc.Update(ctx, "i1", "notes", "")
	if err != nil || !res.Applied || res.App.Source.Registry.Version != "1.1.0" {
		t.Fatalf("update to 1.1.0: %+v %v", res, err)
	}
	reg.PublishVersion(files("notes", "2.0.0", map[string]string{"io.hearth.notes": `"GET", "PUT"`}))
	res, err = f.svc.Update(ctx, "i1", "notes", "")
	if err != nil || res.Applied || len(res.Plan.NewPermissions) != 1 {
		t.Fatalf("update to 2.0.0: %+v %v", res, err)
	}
	again, err := f.svc.Update(ctx, "i1", "notes", "")
	if err != nil || again.Applied || again.Plan.ID != res.Plan.ID {
		t.Fatalf("update while waiting: %+v %v", again, err)
	}

	// What the registry says of the installed version comes from its signed entries.
	reg.Yank("notes", "1.1.0", "loses notes on save")
	reg.Advise("notes", entry.Advisory{ID: "HSA-1", Summary: "XSS in titles", Severity: "high", Fixed: "2.0.0"})
	reg.Deprecate("notes", &entry.Deprecation{Reason: "Use Notes 2", Replacement: "notes2"})
	cur, _ := f.svc.Get(ctx, "i1", "notes")
	st := f.svc.RegistryStatus(ctx, "i1", cur, true)
	if st.Problem != "" || st.Update != "2.0.0" || st.Yanked == nil || st.Yanked.Reason != "loses notes on save" ||
		len(st.Advisories) != 1 || st.Deprecated == nil || st.OriginName != "apps.test" {
		t.Fatalf("status = %+v", st)
	}

	// A beta channel and a version asked by number; a yanked one is refused.
	if in := f.install(t, "i2", apps.StoreRef{Registry: reg.URL, Slug: "notes", Channel: "beta"}); in.Source.Registry.Version != "1.1.0-beta.1" {
		t.Errorf("beta install: %+v", in.Source.Registry)
	}
	if _, err := f.svc.PrepareFromRegistry(ctx, "i3", apps.StoreRef{Registry: reg.URL, Slug: "notes", Version: "1.1.0"}); !errors.Is(err, apps.ErrSource) || !strings.Contains(err.Error(), "yanked") {
		t.Errorf("install of a yanked version: %v", err)
	}

	// Updates come from the same registry with the same key only.
	other := clienttest.New(t, "other.test")
	if err := f.trust.SetOwn(ctx, "i1", []apps.Registry{{URL: other.URL, Key: other.Key()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Update(ctx, "i1", "notes", ""); !errors.Is(err, apps.ErrUntrusted) || !strings.Contains(err.Error(), "no longer trusts") {
		t.Errorf("update from a registry no longer trusted: %v", err)
	}
	if st := f.svc.RegistryStatus(ctx, "i1", cur, false); st.Problem == "" {
		t.Errorf("status from a registry no longer trusted: %+v", st)
	}
	if err := f.trust.SetOwn(ctx, "i1", []apps.Registry{{URL: reg.URL, Key: other.Key()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Update(ctx, "i1", "notes", ""); !errors.Is(err, apps.ErrUntrusted) || !strings.Contains(err.Error(), other.Key()) {
		t.Errorf("update from the same URL with another key: %v", err)
	}
	if _, err := f.svc.PrepareFromRegistry(ctx, "i1", apps.StoreRef{Registry: other.URL + "/x", Slug: "notes"}); !errors.Is(err, apps.ErrUntrusted) {
		t.Errorf("install from a registry not trusted: %v", err)
	}
	if err := f.trust.SetOwn(ctx, "i1", nil); err != nil {
		t.Fatal(err)
	}
	if list, _ := f.svc.Registries(ctx, "i1"); len(list) != 1 || list[0].URL != reg.URL {
		t.Errorf("after clearing, the runtime's list: %+v", list)
	}
	if _, err := f.svc.Prepare(ctx, "i4", apps.Source{URL: "https://x.example/a.git", Registry: &apps.RegistrySource{URL: reg.URL}}); !errors.Is(err, apps.ErrSource) {
		t.Errorf("a registry source given by hand: %v", err)
	}
}

func TestRegistryArchiveMustMatchItsSignedEntry(t *testing.T) {
	ctx := context.Background()
	reg := clienttest.New(t, "apps.test")
	reg.PublishApp("notes", entry.App{Name: "Notes", Source: "https://git.example/ada/notes.git"})
	e := reg.PublishVersion(files("notes", "1.0.0", nil))
	f := newRegistryFixture(t, reg)
	evil, _, _ := clienttest.BuildArchive(t, files("notes", "1.0.0", map[string]string{"io.hearth.contacts": `"GET"`}))
	reg.ReplaceArchive(e.Version.ArchiveSHA256, evil)
	_, err := f.svc.PrepareFromRegistry(ctx, "i1", apps.StoreRef{Registry: reg.URL, Slug: "notes"})
	if !errors.Is(err, apps.ErrSource) || !errors.Is(err, archive.ErrHash) {
		t.Fatalf("an archive that is not the signed one: %v", err)
	}
	if list, _ := f.svc.List(ctx, "i1"); len(list) != 0 {
		t.Errorf("installed: %v", list)
	}
	if _, err := f.svc.PrepareFromRegistry(ctx, "i1", apps.StoreRef{Registry: reg.URL, Slug: "ghost"}); !errors.Is(err, apps.ErrSource) || !errors.Is(err, client.ErrNotFound) {
		t.Errorf("an app the registry does not have: %v", err)
	}
}

func TestCatalogAndUpdateAll(t *testing.T) {
	ctx := context.Background()
	first, second, down := clienttest.New(t, "first.test"), clienttest.New(t, "second.test"), clienttest.New(t, "down.test")
	first.PublishApp("notes", entry.App{Name: "Notes", Description: "Take notes.", Source: "https://git.example/notes.git"})
	first.PublishVersion(files("notes", "1.0.0", map[string]string{"io.hearth.notes": `"GET"`}))
	first.PublishApp("todo", entry.App{Name: "Todo", Source: "https://git.example/todo.git"})
	first.PublishVersion(files("todo", "1.0.0", map[string]string{"io.hearth.todo": `"GET"`}))
	second.PublishApp("notes", entry.App{Name: "Other notes", Source: "https://git.example/other.git"})
	second.PublishVersion(files("notes", "3.0.0", nil))
	second.Mirror(first) // lists first's notes and todo again, countersigned
	second.PublishApp("chat", entry.App{Name: "Chat", Source: "https://git.example/chat.git", Deprecated: &entry.Deprecation{Reason: "unmaintained"}})
	second.PublishVersion(files("chat", "1.0.0", nil))
	down.SetDown(true)
	f := newRegistryFixture(t, first, down, second)

	cat, err := f.svc.Catalog(ctx, "i1", client.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range cat.Apps {
		got = append(got, a.Slug+"@"+a.Origin.Name+" via "+map[string]string{first.URL: "first", second.URL: "second"}[a.Registry.URL])
	}
	want := "notes@first.test via first,todo@first.test via first,chat@second.test via second,notes@second.test via second"
	if strings.Join(got, ",") != want {
		t.Errorf("catalog:\n got %s\nwant %s", strings.Join(got, ","), want)
	}
	if len(cat.Problems) != 1 || cat.Problems[0].URL != down.URL || !strings.Contains(cat.Problems[0].Problem, "503") {
		t.Errorf("problems: %+v", cat.Problems)
	}
	if cat, _ := f.svc.Catalog(ctx, "i1", client.Query{Q: "todo"}); len(cat.Apps) != 1 {
		t.Errorf("search todo: %+v", cat.Apps)
	}

	// Installed through the mirror, updates come from the mirror, with the origin's signatures.
	f.install(t, "i1", apps.StoreRef{Registry: first.URL, Slug: "notes"})
	todo := f.install(t, "i1", apps.StoreRef{Registry: second.URL, Origin: first.Key(), Slug: "todo"})
	if todo.Source.Registry.URL != second.URL || todo.Source.Registry.Origin != first.Key() {
		t.Fatalf("todo through the mirror: %+v", todo.Source.Registry)
	}
	chat := f.install(t, "i1", apps.StoreRef{Registry: second.URL, Slug: "chat"})
	if cat, _ := f.svc.Catalog(ctx, "i1", client.Query{}); cat.Apps[0].Installed != "here" || cat.Apps[3].Installed != "other" {
		t.Errorf("installed markers: %q %q", cat.Apps[0].Installed, cat.Apps[3].Installed)
	}

	first.PublishVersion(files("notes", "1.1.0", map[string]string{"io.hearth.notes": `"GET"`}))
	first.PublishVersion(files("todo", "2.0.0", map[string]string{"io.hearth.todo": `"GET", "POST"`}))
	second.Mirror(first)
	second.PublishVersion(files("chat", "1.0.1", nil))
	// The mirror goes down: the updates through it fail, the others go on.
	if err := f.trust.SetOwn(ctx, "i1", []apps.Registry{{URL: first.URL, Key: first.Key()}, {URL: second.URL, Key: second.Key()}}); err != nil {
		t.Fatal(err)
	}
	second.SetDown(true)
	out, err := f.svc.UpdateAll(ctx, "i1")
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]apps.Outcome{}
	for _, o := range out {
		status[o.Slug] = o
	}
	if o := status["notes"]; o.Status != apps.OutcomeUpdated || o.From != "1.0.0" || o.To != "1.1.0" || o.App == nil {
		t.Errorf("notes: %+v", o)
	}
	if o := status[chat.Slug]; o.Status != apps.OutcomeFailed || !strings.Contains(o.Error, "503") {
		t.Errorf("chat: %+v", o)
	}
	if o := status["todo"]; o.Status != apps.OutcomeFailed {
		t.Errorf("todo while its registry is down: %+v", o)
	}
	second.SetDown(false)
	out, _ = f.svc.UpdateAll(ctx, "i1")
	for _, o := range out {
		status[o.Slug] = o
	}
	if o := status["todo"]; o.Status != apps.OutcomeWaiting || o.To != "2.0.0" || len(o.NewPermissions) != 1 || o.PlanID == "" {
		t.Errorf("todo: %+v", o)
	}
	if o := status["notes"]; o.Status != apps.OutcomeCurrent {
		t.Errorf("notes again: %+v", o)
	}
	if o := status["chat"]; o.Status != apps.OutcomeUpdated || o.To != "1.0.1" {
		t.Errorf("chat: %+v", o)
	}
}
