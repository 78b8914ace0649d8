package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hearth-cloud/hearth/internal/testsvc"
	"github.com/hearth-cloud/hearth/registry/gitsource"
)

// TestPagesBrowserJourney drives Chromium through what a publisher does:
// sign up, read the proof token, commit it, submit the Git URL and see the
// versions found and the problem of a broken tag; then what a visitor does:
// search, open the app's page and read what it asks for and why; and back
// as the publisher, yank a version and see it marked on the app's page.
func TestPagesBrowserJourney(t *testing.T) {
	ctx := testsvc.Chromium(t)
	testsvc.FailOnConsoleErrors(t, ctx)
	e := newEnv(t, "", gitsource.Policy{AllowPrivate: true})
	bare, gitURL := repo(t, appFiles("notes", "1.0.0", ""), "v1.0.0")
	broken := appFiles("notes", "1.1.0", "")
	broken["hearth.json"] = strings.Replace(broken["hearth.json"], `"io.hearth.notes"`, `"not a doctype"`, 1)
	testsvc.GitCommit(t, bare, broken, "v1.1.0")

	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			url, _ := chromedp.Run(ctx, chromedp.Location())
			t.Fatalf("%s (at %s): %v", step, url, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}

	run("sign up",
		chromedp.Navigate(e.url+"/"),
		chromedp.Click(chromedp.CSS("#nav-signup")),
		chromedp.WaitVisible(chromedp.CSS("#signup")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Ada"),
		chromedp.SendKeys(chromedp.CSS("#email"), "ada@example.org"),
		chromedp.SendKeys(chromedp.CSS("#password"), "correct horse battery"),
		chromedp.Submit(chromedp.CSS("#signup")),
		chromedp.WaitVisible(chromedp.CSS("#proof")),
	)
	proof := strings.TrimSpace(text("#proof"))
	if !strings.HasPrefix(proof, "hearth-proof-") || !strings.Contains(text("#proof-howto"), proof) {
		t.Fatalf("proof token %q", proof)
	}
	testsvc.GitCommit(t, bare, appFiles("notes", "1.2.0-dev", proof))

	run("submit",
		chromedp.SendKeys(chromedp.CSS("#git-url"), gitURL),
		chromedp.Submit(chromedp.CSS("#submit")),
		chromedp.WaitVisible(chromedp.CSS("#submitted")),
	)
	if found := text("#found"); !strings.Contains(found, "1.0.0") || !strings.Contains(found, "1.2.0-dev") || strings.Contains(found, "1.1.0") {
		t.Errorf("versions found: %q", found)
	}
	if problems := text("#problems"); !strings.Contains(problems, "v1.1.0: ") || !strings.Contains(problems, "doctype") {
		t.Errorf("problems: %q", problems)
	}

	run("search",
		chromedp.Navigate(e.url+"/"),
		chromedp.SendKeys(chromedp.CSS("#q"), "keep notes"),
		chromedp.Submit(chromedp.CSS("#search")),
		chromedp.WaitVisible(chromedp.CSS(`li[data-slug="notes"]`)),
	)
	if card := text(`li[data-slug="notes"]`); !strings.Contains(card, "Notes") || !strings.Contains(card, "by Ada") ||
		!strings.Contains(card, "1.0.0") || !strings.Contains(card, "reg.test") {
		t.Errorf("the app's card: %q", card)
	}
	run("open the app's page",
		chromedp.Click(chromedp.CSS(`li[data-slug="notes"] a.open`)),
		chromedp.WaitVisible(chromedp.CSS("#permissions")),
	)
	if perms := text("#permissions"); !strings.Contains(perms, "io.hearth.notes") || !strings.Contains(perms, "To keep your notes.") ||
		!strings.Contains(perms, "DELETE, GET, POST, PUT") {
		t.Errorf("permissions: %q", perms)
	}
	if src := text("#source"); src != gitURL {
		t.Errorf("source %q, want %q", src, gitURL)
	}

	run("yank 1.0.0",
		chromedp.Click(chromedp.CSS("#nav-dashboard")),
		chromedp.WaitVisible(chromedp.CSS("#app-notes")),
		chromedp.SendKeys(chromedp.CSS(`form[id="yank-notes-1.0.0"] input[name=reason]`), "loses notes on upgrade"),
		chromedp.Submit(chromedp.CSS(`form[id="yank-notes-1.0.0"]`)),
		chromedp.WaitVisible(chromedp.CSS("#notice")),
	)
	if notice := text("#notice"); !strings.Contains(notice, "yanked") {
		t.Errorf("notice %q", notice)
	}
	run("see it yanked",
		chromedp.Navigate(e.url+"/apps/notes"),
		chromedp.WaitVisible(chromedp.CSS("#versions")),
	)
	if row := text(`tr[id="version-stable-1.0.0"]`); !strings.Contains(row, "yanked") || !strings.Contains(row, "loses notes on upgrade") {
		t.Errorf("the yanked version's row: %q", row)
	}
}
