package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/internal/testsvc"
	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/gitsource"
	"github.com/hearth-cloud/hearth/registry/manifest"
	"github.com/hearth-cloud/hearth/registry/store"
)

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	t *testing.T
	e *env
	c *http.Client
}

func newBrowser(t *testing.T, e *env) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, e: e, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// send sends a request and returns the status, the body and the headers.
func (b *browser) send(method, path string, form url.Values, header http.Header) (int, string, http.Header) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.url+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp.StatusCode, string(data), resp.Header
}

func (b *browser) get(path string) (int, string, http.Header) { return b.send("GET", path, nil, nil) }

func (b *browser) post(path string, form url.Values) (int, string, http.Header) {
	return b.send("POST", path, form, nil)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of the forms of the page at path.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	code, body, _ := b.get(path)
	m := csrfRe.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		b.t.Fatalf("GET %s: %d, no CSRF token in %s", path, code, body)
	}
	return m[1]
}

// login logs the browser in through the login page.
func (b *browser) login(email string) {
	b.t.Helper()
	form := url.Values{"email": {email}, "password": {"correct horse battery"}, "csrf": {b.csrf("/login")}}
	if code, body, h := b.post("/login", form); code != http.StatusSeeOther || h.Get("Location") != "/dashboard" {
		b.t.Fatalf("login: %d %s %v", code, body, h)
	}
}

// checkPageHeaders fails unless h are the headers of a page.
func checkPageHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") ||
		strings.Contains(csp, "unsafe-inline") || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: headers %v", what, h)
	}
}

// hostileFiles is an app whose texts are crafted to break the HTML.
func hostileFiles(proof string) map[string]string {
	files := appFiles("evil", "1.0.0", proof)
	files["hearth.json"] = `{"slug": "evil", "version": "1.0.0", "kind": "static",
  "name": "<script>alert('name')</script>",
  "description": "\"><img src=x onerror=alert(1)> <script>alert('description')</script>",
  "icon": "icon.svg",
  "permissions": {"notes": {"doctype": "io.hearth.notes", "description": "<script>alert('why')</script>"}}}`
	return files
}

func TestPagesEscapeHostileText(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "", gitsource.Policy{AllowPrivate: true})
	token, proof := e.publisher("ada@example.org")
	_, gitURL := repo(t, hostileFiles(proof), "v1.0.0")
	var res submitResult
	e.must(http.StatusCreated, "POST", "/api/v1/apps", token, map[string]string{"git_url": gitURL}, &res)
	// A yank reason and an advisory are the publisher's text too.
	e.must(http.StatusOK, "POST", "/api/v1/apps/evil/versions/1.0.0/yank", token, map[string]string{"reason": "<script>alert('yank')</script>"}, nil)
	e.must(http.StatusCreated, "POST", "/api/v1/apps/evil/advisories", token, map[string]string{"id": "HSA-1",
		"summary": "<script>alert('advisory')</script>", "severity": "high", "fixed": "1.0.1"}, nil)

	b := newBrowser(t, e)
	b.login("ada@example.org")
	for _, path := range []string{"/", "/?q=alert", "/apps/evil", "/dashboard"} {
		code, body, h := b.get(path)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, code, body)
		}
		checkPageHeaders(t, path, h)
		for _, raw := range []string{"<script>alert", "<img src=x"} {
			if strings.Contains(body, raw) {
				t.Errorf("GET %s: the page holds %q unescaped:\n%s", path, raw, body)
			}
		}
		if !strings.Contains(body, html.EscapeString("<script>alert('name')</script>")) {
			t.Errorf("GET %s: the escaped name is missing:\n%s", path, body)
		}
	}
	_, body, _ := b.get("/apps/evil")
	for _, want := range []string{"alert(&#39;why&#39;)", "alert(&#39;yank&#39;)", "alert(&#39;advisory&#39;)"} {
		if !strings.Contains(body, want) {
			t.Errorf("the app page lacks %q:\n%s", want, body)
		}
	}
}

func TestPagesRefuseFormsWithoutCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "", gitsource.Policy{AllowPrivate: true})
	e.publisher("ada@example.org")
	b := newBrowser(t, e)
	creds := url.Values{"email": {"ada@example.org"}, "password": {"correct horse battery"}}

	// Logged out: no token, a wrong one, a good one from another site.
	if code, _, _ := b.post("/login", creds); code != http.StatusForbidden {
		t.Errorf("login without a token: %d", code)
	}
	if code, _, _ := b.post("/signup", url.Values{"email": {"b@example.org"}, "password": {"correct horse battery"}, "name": {"B"}}); code != http.StatusForbidden {
		t.Errorf("signup without a token: %d", code)
	}
	withToken := func(v url.Values, token string) url.Values {
		out := url.Values{"csrf": {token}}
		for k, vs := range v {
			out[k] = vs
		}
		return out
	}
	if code, _, _ := b.post("/login", withToken(creds, "forged")); code != http.StatusForbidden {
		t.Errorf("login with a forged token: %d", code)
	}
	token := b.csrf("/login")
	cross := http.Header{"Sec-Fetch-Site": {"cross-site"}}
	if code, _, _ := b.send("POST", "/login", withToken(creds, token), cross); code != http.StatusForbidden {
		t.Errorf("login from another site: %d", code)
	}
	if code, _, h := b.post("/login", withToken(creds, token)); code != http.StatusSeeOther {
		t.Fatalf("login with the token: %d %v", code, h)
	}

	// Logged in: the token of the logged-out browser no longer serves.
	for _, path := range []string{"/submit", "/logout", "/dashboard/apps/notes/refresh", "/dashboard/apps/notes/deprecate",
		"/dashboard/apps/notes/versions/1.0.0/yank", "/dashboard/apps/notes/advisories"} {
		for name, form := range map[string]url.Values{"none": {"git_url": {"https://example.org/a.git"}},
			"the logged-out one": {"csrf": {token}, "reason": {"r"}}} {
			if code, _, _ := b.post(path, form); code != http.StatusForbidden {
				t.Errorf("POST %s with %s token: %d", path, name, code)
			}
		}
	}
	if code, _, _ := b.get("/dashboard"); code != http.StatusOK {
		t.Errorf("still logged in: %d", code)
	}
	// Logged out, the dashboard sends to the login page.
	if code, _, _ := b.post("/logout", url.Values{"csrf": {b.csrf("/dashboard")}}); code != http.StatusSeeOther {
		t.Errorf("logout: %d", code)
	}
	if code, _, h := b.get("/dashboard"); code != http.StatusFound || h.Get("Location") != "/login?next=%2Fdashboard" {
		t.Errorf("dashboard after logout: %d %v", code, h)
	}
}

func TestPagesLoginThrottled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "", gitsource.Policy{})
	e.publisher("ada@example.org")
	b := newBrowser(t, e)
	token := b.csrf("/login")
	wrong := url.Values{"email": {"ada@example.org"}, "password": {"wrong password!"}, "csrf": {token}}
	var code int
	var body string
	for range 20 {
		if code, body, _ = b.post("/login", wrong); code != http.StatusUnauthorized {
			break
		}
		if !strings.Contains(body, "wrong email or password") {
			t.Fatalf("a wrong password: %s", body)
		}
	}
	if code != http.StatusTooManyRequests || !strings.Contains(body, "too many attempts") {
		t.Errorf("after many wrong passwords: %d %s", code, body)
	}
}

func TestAppFiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "", gitsource.Policy{AllowPrivate: true})
	token, proof := e.publisher("ada@example.org")
	files := appFiles("notes", "1.0.0", proof)
	files["hearth.json"] = strings.Replace(files["hearth.json"], `"icon": "icon.svg",`,
		`"icon": "icon.svg", "screenshots": ["shots/one.png"],`, 1)
	files["shots/one.png"] = "\x89PNG\r\n\x1a\nnot really"
	_, gitURL := repo(t, files, "v1.0.0")
	e.must(http.StatusCreated, "POST", "/api/v1/apps", token, map[string]string{"git_url": gitURL}, nil)
	origin := url.QueryEscape(e.signer.Fingerprint())

	b := newBrowser(t, e)
	_, page, _ := b.get("/apps/notes")
	shot := "/api/v1/apps/notes/files/shots/one.png?origin=" + origin + "&amp;version=1.0.0"
	if !strings.Contains(page, `src="`+shot+`"`) {
		t.Errorf("the app page does not show the screenshot %s:\n%s", shot, page)
	}
	for _, c := range []struct {
		path, ctype string
		want        string
	}{
		{"/api/v1/apps/notes/files/shots/one.png?version=1.0.0", "image/png", files["shots/one.png"]},
		{"/api/v1/apps/notes/files/icon.svg?origin=" + origin, "image/svg+xml", files["icon.svg"]},
		{"/api/v1/apps/notes/files/index.html", "", ""},
		{"/api/v1/apps/notes/files/hearth.json", "", ""},
		{"/api/v1/apps/notes/files/shots/../icon.svg", "", ""},
		{"/api/v1/apps/notes/files/icon.svg?version=9.9.9", "", ""},
		{"/api/v1/apps/other/files/icon.svg", "", ""},
	} {
		code, body, h := b.get(c.path)
		if c.ctype == "" {
			if code != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", c.path, code)
			}
			continue
		}
		if code != http.StatusOK || body != c.want || h.Get("Content-Type") != c.ctype ||
			!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d %q %v", c.path, code, body, h)
		}
	}
}

// mirrorApp mirrors an app and its version from another registry into e's store.
func (e *env) mirrorApp(t *testing.T, slug, name string) entry.Origin {
	t.Helper()
	ctx := context.Background()
	peer, err := entry.GenerateSigner()
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.st.AddPeer(ctx, "https://peer.test", peer.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	origin := entry.Origin{Name: "peer.test", Key: peer.Fingerprint(), URL: "https://peer.test"}
	m, _ := json.Marshal(map[string]any{"slug": slug, "name": name, "version": "2.0.0", "kind": "static",
		"description": "Mirrored " + name})
	v := entry.Version{Version: "2.0.0", Channel: manifest.ChannelStable, Tag: "v2.0.0", Commit: strings.Repeat("a", 40),
		Tree: strings.Repeat("b", 40), Manifest: m, ArchiveSHA256: strings.Repeat("c", 64), ArchiveSize: 10}
	for i, en := range []entry.Entry{
		{Kind: entry.KindApp, Slug: slug, Seq: 1, App: &entry.App{Name: name, Source: "ssh://git@peer.test/x.git", Publisher: "Bob"}},
		{Kind: entry.KindVersion, Slug: slug, Seq: 2, Version: &v},
	} {
		en.Origin, en.Time = origin, time.Date(2026, 11, 27, 10, 0, i, 0, time.UTC)
		sg, err := peer.Sign(&en)
		if err != nil {
			t.Fatal(err)
		}
		opened, err := entry.Open(sg, peer.Fingerprint())
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := e.st.Mirror(ctx, p, sg, opened); !ok || err != nil {
			t.Fatalf("mirror %s: %v %v", en.Kind, ok, err)
		}
	}
	return origin
}

func TestBrowsePages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "", gitsource.Policy{})
	ctx := context.Background()
	pub, _, err := e.st.CreatePublisher(ctx, "ada@example.org", "correct horse battery", "Ada")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		slug := fmt.Sprintf("app-%02d", i)
		m, _ := json.Marshal(map[string]any{"slug": slug, "name": fmt.Sprintf("App %02d", i), "version": "1.0.0",
			"kind": "static", "description": "An app", "categories": []string{[]string{"even", "odd"}[i%2]}})
		v := entry.Version{Version: "1.0.0", Channel: manifest.ChannelStable, Tag: "v1.0.0",
			Commit: strings.Repeat("a", 40), Tree: strings.Repeat("b", 40), Manifest: m,
			ArchiveSHA256: strings.Repeat("c", 64), ArchiveSize: 10}
		if _, _, err := e.st.CreateApp(ctx, pub.ID, store.Indexed{GitURL: "https://git.test/" + slug + ".git",
			Slug: slug, Versions: []entry.Version{v}}); err != nil {
			t.Fatal(err)
		}
	}
	origin := e.mirrorApp(t, "faraway", "Faraway")
	b := newBrowser(t, e)

	// Page after page with the cursor, each app once.
	seen := map[string]bool{}
	next, pages := "/", 0
	cardRe := regexp.MustCompile(`data-slug="([^"]+)"`)
	nextRe := regexp.MustCompile(`href="([^"]+)" id="next-page"`)
	for next != "" {
		code, body, h := b.get(next)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d", next, code)
		}
		checkPageHeaders(t, next, h)
		for _, m := range cardRe.FindAllStringSubmatch(body, -1) {
			if seen[m[1]] {
				t.Errorf("%s twice", m[1])
			}
			seen[m[1]] = true
		}
		next = ""
		if m := nextRe.FindStringSubmatch(body); m != nil {
			next = html.UnescapeString(m[1])
		}
		if pages++; pages > 5 {
			t.Fatal("too many pages")
		}
	}
	if len(seen) != 31 || pages != 2 {
		t.Errorf("%d apps on %d pages", len(seen), pages)
	}

	// Filters, kept by the next page's link.
	_, body, _ := b.get("/?category=odd&channel=stable")
	if n := len(cardRe.FindAllString(body, -1)); n != 15 || strings.Contains(body, `id="next-page"`) {
		t.Errorf("category odd: %d apps", n)
	}
	_, body, _ = b.get("/?q=app&channel=stable")
	m := nextRe.FindStringSubmatch(body)
	if m == nil || !strings.Contains(m[1], "q=app") || !strings.Contains(m[1], "channel=stable") {
		t.Errorf("next page link of a search: %v", m)
	}
	if code, body, _ := b.get("/?cursor=nope"); code != http.StatusBadRequest || !strings.Contains(body, "cursor") {
		t.Errorf("a bad cursor: %d", code)
	}
	if code, _, _ := b.get("/?channel=nightly"); code != http.StatusBadRequest {
		t.Errorf("a bad channel: %d", code)
	}

	// A mirrored app shows its origin, on the list and on its page.
	_, body, _ = b.get("/?q=faraway")
	if !strings.Contains(body, "mirrored from") || !strings.Contains(body, "peer.test") ||
		!strings.Contains(body, "/apps/faraway?origin="+url.QueryEscape(origin.Key)) {
		t.Errorf("the mirrored app's card:\n%s", body)
	}
	code, body, _ := b.get("/apps/faraway?origin=" + url.QueryEscape(origin.Key))
	if code != http.StatusOK || !strings.Contains(body, origin.Key) || !strings.Contains(body, "(mirrored here)") ||
		!strings.Contains(body, "<code>ssh://git@peer.test/x.git</code>") {
		t.Errorf("the mirrored app's page: %d\n%s", code, body)
	}
	if code, _, _ := b.get("/apps/faraway"); code != http.StatusNotFound {
		t.Errorf("the mirrored app under this registry's origin: %d", code)
	}
}

func TestDashboardForms(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "", gitsource.Policy{AllowPrivate: true})
	token, proof := e.publisher("ada@example.org")
	bare, gitURL := repo(t, appFiles("notes", "1.0.0", proof), "v1.0.0")
	e.must(http.StatusCreated, "POST", "/api/v1/apps", token, map[string]string{"git_url": gitURL}, nil)
	b := newBrowser(t, e)
	b.login("ada@example.org")
	post := func(path string, form url.Values, wantCode int, wantLocation string) string {
		t.Helper()
		form.Set("csrf", b.csrf("/dashboard"))
		code, body, h := b.post(path, form)
		if code != wantCode || (wantLocation != "" && h.Get("Location") != wantLocation) {
			t.Fatalf("POST %s: %d %v\n%s", path, code, h, body)
		}
		return body
	}
	page := func(path string) string {
		t.Helper()
		code, body, _ := b.get(path)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, code)
		}
		return body
	}

	post("/dashboard/apps/notes/deprecate", url.Values{"reason": {"Use the new one"}, "replacement": {"notes2"}},
		http.StatusSeeOther, "/dashboard?done=deprecated#app-notes")
	if body := page("/dashboard?done=deprecated"); !strings.Contains(body, "The app is deprecated.") || !strings.Contains(body, `id="undeprecate-notes"`) {
		t.Errorf("dashboard after deprecating:\n%s", body)
	}
	if body := page("/apps/notes"); !strings.Contains(body, "Use the new one") || !strings.Contains(body, `href="/apps/notes2" id="replacement"`) {
		t.Errorf("app page after deprecating:\n%s", body)
	}
	post("/dashboard/apps/notes/undeprecate", url.Values{}, http.StatusSeeOther, "/dashboard?done=undeprecated#app-notes")
	if body := page("/apps/notes"); strings.Contains(body, `id="deprecation"`) {
		t.Errorf("app page after undoing the deprecation:\n%s", body)
	}

	post("/dashboard/apps/notes/advisories", url.Values{"id": {"HSA-2026-1"}, "summary": {"Notes leak"},
		"severity": {"high"}, "fixed": {"1.0.1"}}, http.StatusSeeOther, "/dashboard?done=advisory#app-notes")
	if body := page("/apps/notes"); !strings.Contains(body, "HSA-2026-1") || !strings.Contains(body, "Notes leak") ||
		!strings.Contains(body, `<span class="version">1.0.1</span>`) {
		t.Errorf("app page after the advisory:\n%s", body)
	}
	if body := post("/dashboard/apps/notes/advisories", url.Values{"id": {"HSA-2026-2"}, "summary": {"x"},
		"severity": {"apocalyptic"}, "fixed": {"1.0.1"}}, http.StatusBadRequest, ""); !strings.Contains(body, "severity") {
		t.Errorf("a bad severity:\n%s", body)
	}

	testsvc.GitCommit(t, bare, appFiles("notes", "1.1.0", proof), "v1.1.0")
	post("/dashboard/apps/notes/refresh", url.Values{}, http.StatusSeeOther, "/dashboard?done=refreshed&new=2#app-notes")
	if body := page("/dashboard?done=refreshed&new=2"); !strings.Contains(body, "Indexed again: 2 new versions.") ||
		!strings.Contains(body, `action="/dashboard/apps/notes/versions/1.1.0/yank"`) {
		t.Errorf("dashboard after a refresh:\n%s", body)
	}
	post("/dashboard/apps/notes/versions/9.9.9/yank", url.Values{"reason": {"r"}}, http.StatusNotFound, "")

	// Another publisher may not touch the app.
	e.publisher("eve@example.org")
	eve := newBrowser(t, e)
	eve.login("eve@example.org")
	form := url.Values{"reason": {"mine now"}, "csrf": {eve.csrf("/dashboard")}}
	if code, body, _ := eve.post("/dashboard/apps/notes/versions/1.0.0/yank", form); code != http.StatusForbidden || !strings.Contains(body, "not yours") {
		t.Errorf("another publisher yanks: %d\n%s", code, body)
	}
	if body := page("/apps/notes"); strings.Contains(body, "mine now") {
		t.Error("another publisher's yank went through")
	}
}

func TestAccountPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "", gitsource.Policy{})
	e.publisher("ada@example.org")
	b := newBrowser(t, e)
	signup := func(email, password string) (int, string, http.Header) {
		return b.post("/signup", url.Values{"name": {"<b>Bob</b>"}, "email": {email}, "password": {password}, "csrf": {b.csrf("/signup")}})
	}
	if code, body, _ := signup("ada@example.org", "correct horse battery"); code != http.StatusConflict ||
		!strings.Contains(body, "exists already") || !strings.Contains(body, `value="&lt;b&gt;Bob&lt;/b&gt;"`) {
		t.Errorf("signup with a taken email: %d\n%s", code, body)
	}
	if code, body, _ := signup("bob@example.org", "short"); code != http.StatusBadRequest || !strings.Contains(body, "password") {
		t.Errorf("signup with a short password: %d\n%s", code, body)
	}
	if code, _, h := signup("bob@example.org", "correct horse battery"); code != http.StatusSeeOther || h.Get("Location") != "/submit" {
		t.Fatalf("signup: %d %v", code, h)
	}
	if code, body, _ := b.get("/submit"); code != http.StatusOK || !strings.Contains(body, `<code id="proof">hearth-proof-`) {
		t.Errorf("submit page after signup: %d\n%s", code, body)
	}

	// Only paths of this site are followed after login.
	for next, want := range map[string]string{"/apps/x": "/apps/x", "//evil.example/": "/dashboard",
		"https://evil.example/": "/dashboard", `/\evil.example`: "/dashboard"} {
		c := newBrowser(t, e)
		form := url.Values{"email": {"ada@example.org"}, "password": {"correct horse battery"}, "next": {next}, "csrf": {c.csrf("/login")}}
		if code, _, h := c.post("/login", form); code != http.StatusSeeOther || h.Get("Location") != want {
			t.Errorf("login with next %q: %d %v, want %s", next, code, h, want)
		}
	}

	// Over TLS (as a proxy says), the cookies are Secure and __Host-.
	tls := http.Header{"X-Forwarded-Proto": {"https"}}
	c := newBrowser(t, e)
	_, body, h := c.send("GET", "/login", nil, tls)
	anon := h.Get("Set-Cookie")
	if !strings.HasPrefix(anon, "__Host-registry_anon=") || !strings.Contains(anon, "Secure") || !strings.Contains(anon, "HttpOnly") ||
		!strings.Contains(anon, "SameSite=Lax") || strings.Contains(anon, "Domain") {
		t.Errorf("anonymous cookie over TLS: %q", anon)
	}
	form := url.Values{"email": {"ada@example.org"}, "password": {"correct horse battery"}, "csrf": {csrfRe.FindStringSubmatch(body)[1]}}
	req, _ := http.NewRequest("POST", e.url+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-Proto", "https")
	req.AddCookie(&http.Cookie{Name: "__Host-registry_anon", Value: strings.TrimPrefix(strings.Split(anon, ";")[0], "__Host-registry_anon=")})
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	session := resp.Header.Get("Set-Cookie")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(session, "__Host-registry_session=") ||
		!strings.Contains(session, "Secure") || !strings.Contains(session, "HttpOnly") || !strings.Contains(session, "Path=/") {
		t.Errorf("session cookie over TLS: %d %q", resp.StatusCode, session)
	}
}
