package runtime_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hearth-cloud/hearth/instance/runtime"
	"github.com/hearth-cloud/hearth/internal/testsvc"
)

// TestBrowserJourney drives Debian's Chromium through what an owner does first: claim the
// instance with the onboarding link, log out and in, install the notes app from a Git server
// after reading what it asks for, open it on its own origin, add a note, see a note written
// elsewhere appear live through realtime, and uninstall it.
func TestBrowserJourney(t *testing.T) {
	ctx := testsvc.Chromium(t)
	testsvc.FailOnConsoleErrors(t, ctx)
	h := start(t, runtime.Config{AllowPrivateGit: true})
	_, port, _ := net.SplitHostPort(h.pub)
	domain := "alice.localhost:" + port
	origin := "http://" + domain
	h.addInstance(t, domain)
	onboarding, err := h.admin.Onboarding(context.Background(), domain, false)
	if err != nil {
		t.Fatal(err)
	}
	repo := fixtureRepo(t, "static-notes")

	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			url, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("%s (at %s): %v", step, url, err)
		}
	}
	value := func(what string, a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
	var text string

	run("onboarding",
		chromedp.Navigate(onboarding.URL),
		chromedp.SendKeys(chromedp.CSS("#passphrase"), passphrase),
		chromedp.SendKeys(chromedp.CSS("#confirm"), passphrase),
		chromedp.Submit(chromedp.CSS("#onboarding")),
		chromedp.WaitVisible(chromedp.CSS("#install")),
	)
	run("log out",
		chromedp.Click(chromedp.CSS("#logout")),
		chromedp.WaitVisible(chromedp.CSS("#login")),
	)
	run("log in",
		chromedp.SendKeys(chromedp.CSS("#passphrase"), passphrase),
		chromedp.Submit(chromedp.CSS("#login")),
		chromedp.WaitVisible(chromedp.CSS("#install")),
	)
	run("ask to install",
		chromedp.SendKeys(chromedp.CSS("#install-url"), repo),
		chromedp.SendKeys(chromedp.CSS("#install-ref"), "v1.0.0"),
		chromedp.Submit(chromedp.CSS("#install")),
		chromedp.WaitVisible(chromedp.CSS("#permissions")),
	)
	text = value("permissions", chromedp.Text(chromedp.CSS("#permissions")))
	if !strings.Contains(text, "io.hearth.notes") || !strings.Contains(text, "To list your notes") {
		t.Fatalf("the prompt does not show the permission and its reason: %q", text)
	}
	run("accept",
		chromedp.Click(chromedp.CSS("#accept")),
		chromedp.WaitVisible(chromedp.CSS("#open-notes")),
	)
	run("open the app",
		chromedp.Click(chromedp.CSS("#open-notes")),
		chromedp.WaitVisible(chromedp.CSS("#new-note")),
	)
	text = value("location", chromedp.Location())
	if want := "http://notes." + domain + "/"; text != want {
		t.Fatalf("the app opened at %s, want %s", text, want)
	}
	run("add a note",
		chromedp.SendKeys(chromedp.CSS("#title"), "written in the app"),
		chromedp.Click(chromedp.CSS("#new-note button")), // a click, so that the app's submit handler runs
		chromedp.WaitVisible((`//li[text()="written in the app"]`)),
	)
	// The page renews its token from the instance with the owner's cookie (same-site,
	// credentialed, CORS for this origin only), as hearth.js does when it expires.
	renewed, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(hearth.instance + "/apps/notes/token",
		{credentials: "include", cache: "no-store"}).then(r => r.json()).then(b => typeof b.token === "string" && b.token.length > 20 ? "renewed" : JSON.stringify(b))`,
		chromedp.EvalAwaitPromise))
	if err != nil || renewed != "renewed" {
		t.Fatalf("token renewal from the app's page: %q %v", renewed, err)
	}
	// The page cannot read any cookie: the owner's is on the instance, the app's is HttpOnly.
	if cookies, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.cookie")); err != nil || cookies != "" {
		t.Errorf("document.cookie on the app's origin: %q %v", cookies, err)
	}
	// A note written by another client arrives through realtime, without a reload.
	tok := h.token(t, domain, "io.hearth.notes")
	if st, _ := h.do(t, "POST", origin+"/data/io.hearth.notes/", tok, map[string]any{"title": "written elsewhere"}); st != http.StatusCreated {
		t.Fatalf("write a note through the API: %d", st)
	}
	wait, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(wait, chromedp.WaitVisible((`//li[text()="written elsewhere"]`))); err != nil {
		t.Fatalf("the note written elsewhere did not appear live: %v", err)
	}
	run("uninstall",
		chromedp.Navigate(origin+"/apps/notes"),
		chromedp.Click(chromedp.CSS("#remove-button")),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	text = value("notice", chromedp.Text(chromedp.CSS(".notice")))
	if !strings.Contains(text, "Notes is removed") {
		t.Fatalf("after removing: %q", text)
	}
	if st, _ := h.do(t, "GET", "http://notes."+domain+"/", "", nil); st != http.StatusNotFound {
		t.Errorf("the removed app's origin answers %d", st)
	}
}
