package runtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/instance/runtime"
)

// searchAPI calls GET /search on alice.test with a token and returns the status and the body.
func searchAPI(t *testing.T, h *harness, token string, params url.Values) (int, map[string]any) {
	t.Helper()
	return h.do(t, http.MethodGet, "http://alice.test/search?"+params.Encode(), token, nil)
}

// waitFound polls the search API until q finds want documents, and returns the last body.
func waitFound(t *testing.T, h *harness, token, q string, want int) map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, body := searchAPI(t, h, token, url.Values{"q": {q}})
		if status == 200 && body["total"] == float64(want) {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("search %q: %d %v, want %d hits", q, status, body, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSearchAPI(t *testing.T) {
	backends(t, func(t *testing.T, cfg runtime.Config) {
		h := start(t, cfg)
		h.addInstance(t, "alice.test")
		h.addInstance(t, "bob.test")
		writer := h.token(t, "alice.test", "io.hearth.notes", "io.hearth.contacts")
		notesOnly := h.token(t, "alice.test", "io.hearth.notes:GET")
		for _, w := range []struct{ path, body string }{
			{"/data/io.hearth.notes/n1", `{"title": "Groceries", "body": "milk <b>and</b> bread"}`},
			{"/data/io.hearth.notes/n2", `{"title": "Trip", "body": "pack the milk thermos"}`},
			{"/data/io.hearth.contacts/c1", `{"name": "Milk Man", "city": "Lyon"}`},
		} {
			var doc map[string]any
			_ = json.Unmarshal([]byte(w.body), &doc)
			if status, out := h.do(t, http.MethodPut, "http://alice.test"+w.path, writer, doc); status != 201 {
				t.Fatalf("PUT %s: %d %v", w.path, status, out)
			}
		}
		bobTok := h.token(t, "bob.test", "io.hearth.notes")
		h.do(t, http.MethodPut, "http://bob.test/data/io.hearth.notes/b", bobTok, map[string]any{"t": "milk for bob"})

		body := waitFound(t, h, writer, "milk", 3)
		if waitFound(t, h, notesOnly, "milk", 2); true {
			_, b := searchAPI(t, h, notesOnly, url.Values{"q": {"milk OR lyon OR name:milk"}})
			for _, hit := range b["hits"].([]any) {
				if d := hit.(map[string]any)["doctype"]; d != "io.hearth.notes" {
					t.Fatalf("a notes token found a %v", d)
				}
			}
		}
		hits := body["hits"].([]any)
		first := hits[0].(map[string]any)
		if first["id"] == nil || first["score"] == nil || first["fragments"] == nil || body["next_cursor"] != nil {
			t.Fatalf("hit shape: %v", body)
		}
		_, b := searchAPI(t, h, writer, url.Values{"q": {"bread"}})
		frag := fmt.Sprint(b["hits"].([]any)[0].(map[string]any)["fragments"])
		if !strings.Contains(frag, "&lt;b&gt;and&lt;/b&gt;") || !strings.Contains(frag, "<mark>bread</mark>") {
			t.Fatalf("fragment not escaped then marked: %s", frag)
		}
		// Pages: a cursor goes with its own query only.
		_, p1 := searchAPI(t, h, writer, url.Values{"q": {"milk"}, "limit": {"2"}})
		cursor, _ := p1["next_cursor"].(string)
		if len(p1["hits"].([]any)) != 2 || cursor == "" {
			t.Fatalf("first page: %v", p1)
		}
		if status, p2 := searchAPI(t, h, writer, url.Values{"q": {"milk"}, "limit": {"2"}, "cursor": {cursor}}); status != 200 || len(p2["hits"].([]any)) != 1 || p2["next_cursor"] != nil {
			t.Fatalf("second page: %d %v", status, p2)
		}
		for name, c := range map[string]struct {
			token  string
			params url.Values
			status int
		}{
			"bad token":      {"nope", url.Values{"q": {"milk"}}, 401},
			"other instance": {bobTok, url.Values{"q": {"milk"}}, 401},
			"not readable":   {notesOnly, url.Values{"q": {"milk"}, "doctype": {"io.hearth.contacts"}}, 403},
			"parse error":    {writer, url.Values{"q": {`title:"milk`}}, 400},
			"too long":       {writer, url.Values{"q": {strings.Repeat("m", 401)}}, 400},
			"limit":          {writer, url.Values{"q": {"milk"}, "limit": {"101"}}, 400},
			"limit zero":     {writer, url.Values{"q": {"milk"}, "limit": {"0"}}, 400},
			"other cursor":   {writer, url.Values{"q": {"bread"}, "cursor": {cursor}}, 400},
		} {
			status, out := searchAPI(t, h, c.token, c.params)
			if status != c.status {
				t.Errorf("%s: %d %v, want %d", name, status, out, c.status)
			}
			if status == 400 && (out["error"] != "bad_request" || strings.Contains(fmt.Sprint(out["reason"]), "search:")) {
				t.Errorf("%s: body %v", name, out)
			}
		}
		req, _ := http.NewRequest(http.MethodGet, "http://alice.test/search?q=milk", nil)
		req.Header.Set("Accept", "application/json")
		if resp, err := h.client.Do(req); err != nil || resp.StatusCode != 401 {
			t.Fatalf("no token nor session, asking for JSON: %v %v", resp, err)
		} else {
			resp.Body.Close()
		}
		// A deleted document leaves; nothing of alice's reaches bob.
		_, cur := h.do(t, http.MethodGet, "http://alice.test/data/io.hearth.notes/n2", writer, nil)
		h.do(t, http.MethodDelete, "http://alice.test/data/io.hearth.notes/n2?rev="+cur["_rev"].(string), writer, nil)
		waitFound(t, h, writer, "thermos", 0)
		if _, b := h.do(t, http.MethodGet, "http://bob.test/search?q=milk", bobTok, nil); b["total"] != float64(1) {
			t.Fatalf("bob's search: %v", b)
		}
	})
}

func TestSearchPageAndReindex(t *testing.T) {
	h := start(t, runtime.Config{AllowPrivateGit: true})
	h.addInstance(t, "alice.test")
	ctx := context.Background()
	if err := installViaAdmin(t, h, "alice.test", fixtureRepo(t, "static-notes")); err != nil {
		t.Fatal(err)
	}
	tok := h.token(t, "alice.test", "io.hearth.notes", "io.hearth.bookmarks")
	h.do(t, http.MethodPut, "http://alice.test/data/io.hearth.notes/evil", tok,
		map[string]any{"title": `<img src=x onerror=alert(1)> l'arbre`, "body": "</mark><script>alert(2)</script> arbre"})
	h.do(t, http.MethodPut, "http://alice.test/data/io.hearth.bookmarks/b", tok, map[string]any{"url": "https://arbre.example", "title": "arbre"})
	waitFound(t, h, tok, "arbre", 2)

	if p := h.browser(t).get("http://alice.test/search?q=arbre"); p.status != http.StatusFound {
		t.Fatalf("search page without a session: %d", p.status)
	}
	b := onboard(t, h, "alice.test")
	if home := b.get("http://alice.test/"); !strings.Contains(home.body, `id="home-search"`) {
		t.Fatalf("no search box on home: %s", home.body)
	}
	p := b.get("http://alice.test/search?q=arbre")
	if p.status != 200 || strings.Count(p.body, `class="hit card"`) != 2 {
		t.Fatalf("search page: %d %s", p.status, p.body)
	}
	if strings.Contains(p.body, "<img src=x") || strings.Contains(p.body, "<script>alert") || !strings.Contains(p.body, "&lt;/mark&gt;&lt;script&gt;") ||
		!strings.Contains(p.body, "<mark>arbre</mark>") {
		t.Fatalf("hostile text on the page: %s", p.body)
	}
	if !strings.Contains(p.body, `href="http://notes.alice.test/" class="open-app" data-slug="notes"`) {
		t.Fatalf("no link to the notes app: %s", p.body)
	}
	if !strings.Contains(p.body, "No installed app uses this kind of data") {
		t.Fatalf("a bookmark hit should say no app opens it: %s", p.body)
	}
	if p := b.get("http://alice.test/search?q=title:"); p.status != 400 || !strings.Contains(p.body, `id="search-problem"`) {
		t.Fatalf("bad query on the page: %d %s", p.status, p.body)
	}
	// The owner's session also gets JSON, over every doctype.
	if p := b.get("http://alice.test/search?q=arbre", "Accept", "application/json"); p.status != 200 || !strings.Contains(p.body, `"total":2`) {
		t.Fatalf("owner's JSON: %d %s", p.status, p.body)
	}

	// Reindex with the French analyzer while searching: l'arbre is then found as arbre.
	done := make(chan error, 1)
	go func() {
		fr := "fr"
		_, err := h.admin.Reindex(ctx, "alice.test", &fr)
		done <- err
	}()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			body := waitFound(t, h, tok, "arbre", 2)
			frag := fmt.Sprint(body["hits"])
			if !strings.Contains(frag, "<mark>l&#39;arbre</mark>") {
				t.Fatalf("French analyzer: %s", frag)
			}
			bad := "not a locale!"
			if _, err := h.admin.Reindex(ctx, "alice.test", &bad); err == nil || !strings.Contains(err.Error(), "not a locale") {
				t.Fatalf("bad locale: %v", err)
			}
			return
		default:
			if status, body := searchAPI(t, h, tok, url.Values{"q": {"arbre"}}); status != 200 || body["total"].(float64) < 2 {
				t.Fatalf("search during reindex: %d %v", status, body)
			}
		}
	}
}

// TestSearchDocsExamples runs the examples of docs/search.md in order. A search is tried again
// for a few seconds until it matches: the index follows writes within a second.
func TestSearchDocsExamples(t *testing.T) {
	examples := readExamples(t, "../../docs/search.md")
	if len(examples) < 10 {
		t.Fatalf("found %d examples in docs/search.md", len(examples))
	}
	h := start(t, runtime.Config{})
	h.addInstance(t, "docs.test")
	tok := h.token(t, "docs.test", "io.hearth.notes", "io.hearth.contacts")
	cursor := ""
	for _, ex := range examples {
		head, body, _ := strings.Cut(ex.request, "\n\n")
		lines := strings.Split(strings.TrimSpace(head), "\n")
		method, path, _ := strings.Cut(lines[0], " ")
		path = strings.ReplaceAll(path, "$CURSOR", url.QueryEscape(cursor))
		var want any
		if err := json.Unmarshal([]byte(ex.response), &want); err != nil {
			t.Fatalf("%s: the documented response is not JSON: %v", lines[0], err)
		}
		wantErr := strings.Contains(ex.response, `"error"`)
		deadline := time.Now().Add(5 * time.Second)
		for {
			req, _ := http.NewRequest(method, "http://docs.test"+path, strings.NewReader(body))
			for _, hl := range lines[1:] {
				k, v, _ := strings.Cut(hl, ": ")
				req.Header.Set(k, v)
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := h.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var got any
			err = json.NewDecoder(resp.Body).Decode(&got)
			resp.Body.Close()
			ok := err == nil && (resp.StatusCode >= 400) == wantErr && matches(want, got)
			if ok || method != http.MethodGet || time.Now().After(deadline) {
				if !ok {
					raw, _ := json.Marshal(got)
					t.Errorf("%s\n got %d %s\nwant %s", lines[0], resp.StatusCode, raw, ex.response)
				}
				if m, isMap := got.(map[string]any); isMap {
					if c, isStr := m["next_cursor"].(string); isStr {
						cursor = c
					}
				}
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
