package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/store"
)

func TestLifecycleAPI(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		token, _, _, _ := submitted(t, e)
		eve, _ := e.publisher("eve@example.org")
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"POST", "/api/v1/apps/notes/deprecate", map[string]string{"reason": "x"}},
			{"DELETE", "/api/v1/apps/notes/deprecate", nil},
			{"POST", "/api/v1/apps/notes/versions/1.0.0/yank", map[string]string{"reason": "x"}},
			{"POST", "/api/v1/apps/notes/advisories", map[string]string{"id": "A", "summary": "s", "severity": "low", "fixed": "1.0.1"}},
		} {
			if code, _ := e.do(c.method, c.path, eve, c.body, nil); code != http.StatusForbidden {
				t.Errorf("%s %s by another publisher: %d", c.method, c.path, code)
			}
			if code, _ := e.do(c.method, c.path, "", c.body, nil); code != http.StatusUnauthorized {
				t.Errorf("%s %s without a token: %d", c.method, c.path, code)
			}
		}
		var app struct {
			Deprecated *entry.Deprecation
			Latest     map[string]string
		}
		e.must(http.StatusOK, "POST", "/api/v1/apps/notes/deprecate", token, map[string]string{"reason": "Use notes2", "replacement": "notes2"}, &app)
		if app.Deprecated == nil || app.Deprecated.Replacement != "notes2" {
			t.Errorf("deprecate: %+v", app)
		}
		app.Deprecated = nil
		e.must(http.StatusOK, "DELETE", "/api/v1/apps/notes/deprecate", token, nil, &app)
		if app.Deprecated != nil {
			t.Errorf("undo: %+v", app)
		}
		if code, _ := e.do("POST", "/api/v1/apps/notes/deprecate", token, map[string]string{"replacement": "x"}, nil); code != http.StatusBadRequest {
			t.Errorf("deprecate without a reason: %d", code)
		}
		e.must(http.StatusOK, "POST", "/api/v1/apps/notes/versions/1.0.0/yank", token, map[string]string{"reason": "Loses notes"}, nil)
		if code, _ := e.do("POST", "/api/v1/apps/notes/versions/9.0.0/yank", token, map[string]string{"reason": "x"}, nil); code != http.StatusNotFound {
			t.Errorf("yank unknown version: %d", code)
		}
		app.Latest = nil
		e.must(http.StatusOK, "GET", "/api/v1/apps/notes", "", nil, &app)
		if app.Latest["stable"] != "" {
			t.Errorf("latest stable after the yank: %v", app.Latest)
		}
		if code, _ := e.do("GET", "/api/v1/apps/notes/latest?channel=stable", "", nil, nil); code != http.StatusNotFound {
			t.Errorf("latest stable after the yank: %d", code)
		}
		e.must(http.StatusCreated, "POST", "/api/v1/apps/notes/advisories", token,
			map[string]string{"id": "HSA-2026-1", "summary": "Notes leak", "severity": "high", "fixed": "1.0.1"}, nil)
		if code, _ := e.do("POST", "/api/v1/apps/notes/advisories", token, map[string]string{"id": "HSA-2026-2", "summary": "s", "severity": "meh", "fixed": "1.0.1"}, nil); code != http.StatusBadRequest {
			t.Errorf("bad severity: %d", code)
		}
		var detail struct {
			Advisories []struct {
				ID, Fixed string
				Entry     entry.Signed
			}
			Versions []struct{ Yanked *entry.Yank }
		}
		e.must(http.StatusOK, "GET", "/api/v1/apps/notes", "", nil, &detail)
		if len(detail.Advisories) != 1 || detail.Advisories[0].Fixed != "1.0.1" || detail.Versions[0].Yanked == nil {
			t.Errorf("detail %+v", detail)
		}
		var kinds []string
		for _, en := range e.feed() {
			k := string(en.Kind)
			switch {
			case en.App != nil && en.App.Deprecated != nil:
				k += "(deprecated)"
			case en.Version != nil && en.Version.Yanked != nil:
				k += "(yanked)"
			}
			kinds = append(kinds, k)
		}
		want := []string{"version", "version", "app", "app(deprecated)", "app", "version(yanked)", "advisory"}
		if !slices.Equal(kinds, want) {
			t.Errorf("feed %v, want %v", kinds, want)
		}
	})
}

func TestListAPI(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		p, _, err := e.st.CreatePublisher(ctx, "ada@example.org", "correct horse battery", "Ada")
		if err != nil {
			t.Fatal(err)
		}
		for i, a := range []struct{ slug, name, version, category string }{
			{"notes", "Notes", "1.0.0", "productivity"}, {"tasks", "Tasks", "1.0.0-beta.1", "productivity"},
			{"photos", "Photos", "2.0.0", "media"}, {"albums", "Albums", "0.1.0", "media"}, {"chat", "Chat", "1.0.0", "social"},
		} {
			m, _ := json.Marshal(map[string]any{"slug": a.slug, "name": a.name, "version": a.version, "kind": "static",
				"description": "the " + a.name + " app", "categories": []string{a.category}})
			v := entry.Version{Version: a.version, Channel: "stable", Tag: "v" + a.version, Commit: fmt.Sprintf("%040x", i+1),
				Tree: fmt.Sprintf("%040x", i+100), Manifest: m, ArchiveSHA256: fmt.Sprintf("%064x", i+1), ArchiveSize: 10}
			if a.version == "1.0.0-beta.1" {
				v.Channel = "beta"
			}
			if _, _, err := e.st.CreateApp(ctx, p.ID, store.Indexed{Slug: a.slug, GitURL: "https://git.test/" + a.slug, Versions: []entry.Version{v}}); err != nil {
				t.Fatal(err)
			}
		}
		type page struct {
			Apps []struct {
				Slug   string
				Origin entry.Origin
				Icon   string
			}
			Next string `json:"next_cursor"`
		}
		slugs := func(query string) []string {
			t.Helper()
			var out page
			e.must(http.StatusOK, "GET", "/api/v1/apps?"+query, "", nil, &out)
			var s []string
			for _, a := range out.Apps {
				s = append(s, a.Slug)
			}
			return s
		}
		for q, want := range map[string][]string{
			"":                                   {"albums", "chat", "notes", "photos", "tasks"},
			"q=app+the":                          {"albums", "chat", "notes", "photos", "tasks"},
			"q=NOTES":                            {"notes"},
			"category=media":                     {"albums", "photos"},
			"channel=beta":                       {"tasks"},
			"channel=stable&q=ph":                {"photos"},
			"updated_since=2000-01-01T00:00:00Z": {"albums", "chat", "notes", "photos", "tasks"},
			"updated_since=2999-01-01T00:00:00Z": nil,
		} {
			if got := slugs(q); !slices.Equal(got, want) {
				t.Errorf("?%s: %v, want %v", q, got, want)
			}
		}
		var all []string
		var out page
		e.must(http.StatusOK, "GET", "/api/v1/apps?limit=2", "", nil, &out)
		for {
			for _, a := range out.Apps {
				all = append(all, a.Slug)
				if a.Origin.Key != e.signer.Fingerprint() || a.Icon == "" {
					t.Errorf("app %+v", a)
				}
			}
			if out.Next == "" {
				break
			}
			next := out.Next
			out = page{}
			e.must(http.StatusOK, "GET", "/api/v1/apps?limit=2&cursor="+url.QueryEscape(next), "", nil, &out)
		}
		if !slices.Equal(all, []string{"albums", "chat", "notes", "photos", "tasks"}) {
			t.Errorf("pages: %v", all)
		}
		e.must(http.StatusOK, "GET", "/api/v1/apps?limit=2", "", nil, &out)
		for _, bad := range []string{"limit=0", "limit=101", "limit=x", "channel=nightly", "updated_since=yesterday",
			"cursor=" + url.QueryEscape(out.Next) + "&q=notes", "cursor=%21%21"} {
			var errOut map[string]string
			if code, _ := e.do("GET", "/api/v1/apps?"+bad, "", nil, &errOut); code != http.StatusBadRequest || errOut["error"] == "" {
				t.Errorf("?%s: %d %v", bad, code, errOut)
			}
		}

		// The feed, page by page.
		var feed struct {
			Changes []struct{ Seq int64 }
			LastSeq int64 `json:"last_seq"`
			More    bool
		}
		e.must(http.StatusOK, "GET", "/api/v1/changes?since=0&limit=4", "", nil, &feed)
		if len(feed.Changes) != 4 || !feed.More || feed.LastSeq != feed.Changes[3].Seq {
			t.Fatalf("first page %+v", feed)
		}
		e.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/changes?since=%d&limit=1000", feed.LastSeq), "", nil, &feed)
		if len(feed.Changes) != 6 || feed.More {
			t.Fatalf("last page %+v", feed)
		}
		last := feed.LastSeq
		e.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/changes?since=%d", last), "", nil, &feed)
		if len(feed.Changes) != 0 || feed.More || feed.LastSeq != last {
			t.Errorf("after the end %+v", feed)
		}
		for _, bad := range []string{"since=-1", "since=x", "limit=0", "limit=1001"} {
			if code, _ := e.do("GET", "/api/v1/changes?"+bad, "", nil, nil); code != http.StatusBadRequest {
				t.Errorf("changes?%s: %d", bad, code)
			}
		}
	})
}
