package runtime_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hearth-cloud/hearth/instance/apps"
	"github.com/hearth-cloud/hearth/instance/runtime"
	"github.com/hearth-cloud/hearth/registry/client/clienttest"
	"github.com/hearth-cloud/hearth/registry/entry"
)

// appFiles are a static app's files at a version asking for doctypes (doctype → verbs).
func appFiles(slug, name, version string, perms map[string]string) map[string]string {
	var ps []string
	for doctype, verbs := range perms {
		ps = append(ps, `"`+strings.ReplaceAll(doctype, ".", "-")+`": {"doctype": "`+doctype+`", "verbs": [`+verbs+`], "description": "To keep your `+slug+`."}`)
	}
	return map[string]string{
		"hearth.json": `{"slug": "` + slug + `", "name": "` + name + `", "version": "` + version + `", "kind": "static", "icon": "icon.svg",
			"permissions": {` + strings.Join(ps, ",") + `}}`,
		"index.html": "<h1>" + slug + " " + version + "</h1>",
		"icon.svg":   `<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>`,
	}
}

// The owner finds apps in the store of every trusted registry, installs one in one click
// behind the permission prompt, updates everything at once, and sees what the registry says.
func TestStoreInstallAndUpdateAll(t *testing.T) {
	ctx := context.Background()
	reg, down := clienttest.New(t, "apps.test"), clienttest.New(t, "down.test")
	reg.PublishApp("notes", entry.App{Name: "Notes", Description: `Notes <script>alert("registry")</script>`,
		Publisher: "Ada", Source: "https://git.example/ada/notes.git"})
	reg.PublishVersion(appFiles("notes", "Notes", "1.0.0", map[string]string{"io.hearth.notes": `"GET", "POST"`}))
	reg.PublishApp("todo", entry.App{Name: `<img src=x onerror=alert(1)>`, Source: "https://git.example/ada/todo.git",
		Deprecated: &entry.Deprecation{Reason: "Use Tasks", Replacement: "tasks"}})
	reg.PublishVersion(appFiles("todo", "Todo", "1.0.0", map[string]string{"io.hearth.todo": `"GET"`}))
	down.SetDown(true)
	h := start(t, runtime.Config{AllowPrivateGit: true, Registries: []apps.Registry{
		{URL: down.URL, Key: down.Key()}, {URL: reg.URL, Key: reg.Key()}}})
	h.addInstance(t, "alice.test")
	b := onboard(t, h, "alice.test")

	// The store: every registry's apps, a registry down named, hostile text escaped.
	store := b.get("http://alice.test/store")
	if store.status != 200 || strings.Count(store.body, `class="tile store-app"`) != 2 {
		t.Fatalf("store: %d %s", store.status, store.body)
	}
	for _, want := range []string{"The registry " + down.URL + " could not be reached", `&lt;img src=x onerror=alert(1)&gt;`,
		`&lt;script&gt;alert(&#34;registry&#34;)&lt;/script&gt;`, "deprecated: Use Tasks (use tasks)", `class="origin"`, "apps.test"} {
		if !strings.Contains(store.body, want) {
			t.Errorf("store lacks %q", want)
		}
	}
	if strings.Contains(store.body, "<img src=x") || strings.Contains(store.body, "<script>alert") {
		t.Error("the store shows a registry's text unescaped")
	}
	if p := b.get("http://alice.test/store?q=todo"); strings.Count(p.body, `class="tile store-app"`) != 1 {
		t.Errorf("search: %s", p.body)
	}
	icon := regexp.MustCompile(`src="(/store/icon\?[^"]+)"`).FindStringSubmatch(store.body)
	if icon == nil {
		t.Fatal("no proxied icon in the store")
	}
	if p := b.get("http://alice.test" + strings.ReplaceAll(icon[1], "&amp;", "&")); p.status != 200 || p.header.Get("Content-Type") != "image/svg+xml" ||
		!strings.Contains(p.header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("icon: %d %v", p.status, p.header)
	}
	if !strings.Contains(store.header.Get("Content-Security-Policy"), "img-src 'self' data:;") {
		t.Errorf("the store's CSP lets images come from elsewhere: %s", store.header.Get("Content-Security-Policy"))
	}

	// One click: the permission prompt, with the origin; accepting installs.
	install := func(slug string) page {
		t.Helper()
		plan := b.post("http://alice.test/store/install", store, url.Values{"registry": {reg.URL}, "origin": {reg.Key()}, "slug": {slug}})
		if plan.status != 200 || !strings.Contains(plan.body, `id="plan-origin"`) || !strings.Contains(plan.body, reg.Key()) {
			t.Fatalf("install %s from the store: %d %s", slug, plan.status, plan.body)
		}
		accept := regexp.MustCompile(`action="(/apps/plans/[^"]+)"`).FindStringSubmatch(plan.body)
		done := b.post("http://alice.test"+accept[1], plan, url.Values{})
		if done.status != 200 || !strings.Contains(done.body, "is installed") {
			t.Fatalf("accept %s: %d %s", slug, done.status, done.body)
		}
		return done
	}
	if p := install("notes"); !strings.Contains(p.body, "io.hearth.notes") && !strings.Contains(p.body, `data-slug="notes"`) {
		t.Errorf("home after the install: %s", p.body)
	}
	install("todo")
	if p := b.get("http://alice.test/store"); !strings.Contains(p.body, `class="badge installed"`) {
		t.Errorf("the store does not mark installed apps: %s", p.body)
	}
	if p := b.get("http://notes.alice.test/"); p.status != http.StatusFound && p.status != 200 {
		t.Errorf("open the installed app: %d", p.status)
	}

	// Update all: what asks for nothing new is applied, what asks for more waits, and why.
	reg.PublishVersion(appFiles("notes", "Notes", "1.1.0", map[string]string{"io.hearth.notes": `"GET", "POST"`}))
	reg.PublishVersion(appFiles("todo", "Todo", "2.0.0", map[string]string{"io.hearth.todo": `"GET"`, "io.hearth.contacts": `"GET"`}))
	if p := b.get("http://alice.test/apps/notes"); !strings.Contains(p.body, `id="update-available"`) {
		t.Errorf("the app page does not show the new version: %s", p.body)
	}
	home := b.get("http://alice.test/") // what the registries said is kept a little while: the app page asked again
	if !strings.Contains(home.body, "update available: 1.1.0") || !strings.Contains(home.body, `class="badge warn deprecated"`) {
		t.Errorf("home does not show the registry's news: %s", home.body)
	}
	res := b.post("http://alice.test/apps/update-all", home, url.Values{})
	if res.status != 200 || !regexp.MustCompile(`(?s)id="updated">.*Notes</strong> 1.0.0 → 1.1.0`).MatchString(res.body) ||
		!regexp.MustCompile(`(?s)id="waiting">.*1.0.0 → 2.0.0 also asks for:.*io.hearth.contacts`).MatchString(res.body) {
		t.Fatalf("update all: %d %s", res.status, res.body)
	}
	review := regexp.MustCompile(`href="(/apps/plans/[^"]+)" id="review-todo"`).FindStringSubmatch(res.body)
	if review == nil {
		t.Fatal("no review link for the waiting update")
	}
	if p := b.get("http://alice.test" + review[1]); p.status != 200 || !strings.Contains(p.body, "Update ") {
		t.Errorf("review the waiting update: %d", p.status)
	}

	// A yank, an advisory and a deprecation show on the app's page.
	reg.Yank("notes", "1.1.0", "Loses notes on save")
	reg.Advise("notes", entry.Advisory{ID: "HSA-2026-1", Summary: "XSS in <b>titles</b>", Severity: "high", Fixed: "1.2.0",
		URL: "https://apps.test/advisories/1"})
	details := b.get("http://alice.test/apps/notes")
	for _, want := range []string{`id="yanked"`, "Loses notes on save", `id="advisories"`, "HSA-2026-1", "XSS in &lt;b&gt;titles&lt;/b&gt;",
		"Fixed in 1.2.0", `id="app-origin"`, reg.Key()} {
		if !strings.Contains(details.body, want) {
			t.Errorf("app page lacks %q", want)
		}
	}

	// The instance's own list replaces the runtime's; updates then come from nowhere else.
	if _, err := h.admin.SetRegistries(ctx, "alice.test", []apps.Registry{{URL: down.URL, Key: down.Key()}}); err != nil {
		t.Fatal(err)
	}
	if p := b.get("http://alice.test/store"); strings.Contains(p.body, "store-app") {
		t.Errorf("the store after the instance trusts another registry only: %s", p.body)
	}
	details = b.get("http://alice.test/apps/notes")
	if p := b.post("http://alice.test/apps/notes/update", details, url.Values{}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "no longer trusts") {
		t.Errorf("update from a registry no longer trusted: %d %s", p.status, p.body)
	}
	if p := b.get("http://notes.alice.test/"); p.status >= 500 {
		t.Errorf("the app after its registry is no longer trusted: %d", p.status)
	}
	if _, err := h.admin.ClearRegistries(ctx, "alice.test"); err != nil {
		t.Fatal(err)
	}

	// What a hostile form posts ends in a page saying what is wrong.
	for _, form := range []url.Values{
		{"registry": {"http://169.254.169.254/"}, "slug": {"notes"}},
		{"registry": {reg.URL}, "slug": {"../etc"}},
		{"registry": {reg.URL}, "slug": {"ghost"}},
		{"registry": {reg.URL}, "slug": {"notes"}, "channel": {"nightly"}},
		{"registry": {"javascript:alert(1)"}},
	} {
		if p := b.post("http://alice.test/store/install", store, form); p.status >= 500 || !strings.Contains(p.body, `id="error"`) {
			t.Errorf("install %v: %d %.300s", form, p.status, p.body)
		}
	}
	if p := b.get("http://alice.test/store/icon?registry=http://169.254.169.254/&slug=x"); p.status != http.StatusFound {
		t.Errorf("icon from an untrusted registry: %d", p.status)
	}
}
