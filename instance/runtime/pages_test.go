package runtime_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/hearth-cloud/hearth/instance/runtime"
)

// browser is a client with a cookie jar that does not follow redirects, talking to a harness.
type browser struct {
	t      *testing.T
	client *http.Client
}

func (h *harness) browser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, client: &http.Client{Transport: h.client.Transport, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (p page) location() string { return p.header.Get("Location") }

func (b *browser) send(req *http.Request) page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

func (b *browser) get(u string, header ...string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.send(req)
}

// post submits a form; the CSRF token is taken from the page it was on unless form has one.
func (b *browser) post(u string, from page, form url.Values) page {
	b.t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", csrfOf(from.body))
	}
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.send(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(body string) string {
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// follow follows redirects from p, up to ten.
func (b *browser) follow(p page, base string) page {
	b.t.Helper()
	for range 10 {
		if p.status != http.StatusFound && p.status != http.StatusSeeOther {
			return p
		}
		loc, err := url.Parse(base)
		if err != nil {
			b.t.Fatal(err)
		}
		next, err := loc.Parse(p.location())
		if err != nil {
			b.t.Fatal(err)
		}
		base = next.String()
		p = b.get(base)
	}
	b.t.Fatalf("too many redirects")
	return p
}

const passphrase = "correct horse battery staple"

// onboard claims the instance through its onboarding link and returns the logged-in browser.
func onboard(t *testing.T, h *harness, domain string) *browser {
	t.Helper()
	o, err := h.admin.Onboarding(context.Background(), domain, false)
	if err != nil {
		t.Fatal(err)
	}
	b := h.browser(t)
	form := b.get(o.URL)
	if form.status != 200 || !strings.Contains(form.body, `id="onboarding"`) {
		t.Fatalf("onboarding link: %d %s", form.status, form.body)
	}
	tok := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(form.body)[1]
	done := b.post("http://"+domain+"/onboarding", form, url.Values{"token": {tok}, "passphrase": {passphrase}, "confirm": {passphrase}})
	if done.status != http.StatusSeeOther || done.location() != "/" {
		t.Fatalf("set the passphrase: %d %q %s", done.status, done.location(), done.body)
	}
	return b
}

func TestOwnerOnboardingLoginAndSessions(t *testing.T) {
	h := start(t, runtime.Config{})
	h.addInstance(t, "alice.test")
	ctx := context.Background()

	// Before onboarding, the root says how to claim the instance; a forged link does nothing.
	stranger := h.browser(t)
	if p := stranger.get("http://alice.test/"); p.status != 200 || !strings.Contains(p.body, "no owner yet") {
		t.Fatalf("root before onboarding: %d %s", p.status, p.body)
	}
	form := stranger.get("http://alice.test/onboarding?token=forged")
	p := stranger.post("http://alice.test/onboarding", form, url.Values{"token": {"forged"}, "passphrase": {passphrase}, "confirm": {passphrase}})
	if p.status != http.StatusForbidden {
		t.Fatalf("onboarding with a forged token: %d", p.status)
	}

	b := onboard(t, h, "alice.test")
	// The session cookie: HttpOnly, SameSite=Lax, host-only (no Domain), not Secure over http.
	var setCookie string
	jarCookies := b.client.Jar.Cookies(&url.URL{Scheme: "http", Host: "alice.test"})
	if len(jarCookies) == 0 {
		t.Fatal("no cookie after onboarding")
	}
	home := b.get("http://alice.test/")
	if home.status != 200 || !strings.Contains(home.body, "Your apps") {
		t.Fatalf("home after onboarding: %d %s", home.status, home.body)
	}
	for _, c := range b.client.Jar.Cookies(&url.URL{Scheme: "http", Host: "notes.alice.test"}) {
		t.Errorf("cookie %s reaches an app's origin", c.Name)
	}
	// The onboarding link works once.
	if _, err := h.admin.Onboarding(ctx, "alice.test", false); err == nil {
		t.Error("a new onboarding link was issued for an onboarded instance")
	}

	// Log in from a second browser, over TLS as a proxy reports it: the cookie is Secure, __Host-.
	second := h.browser(t)
	login := second.get("http://alice.test/login")
	req, _ := http.NewRequest(http.MethodPost, "http://alice.test/login", strings.NewReader(url.Values{
		"csrf": {csrfOf(login.body)}, "passphrase": {passphrase}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-Proto", "https")
	for _, c := range second.client.Jar.Cookies(req.URL) {
		req.AddCookie(&http.Cookie{Name: "__Host-" + c.Name, Value: c.Value})
	}
	p = second.send(req)
	setCookie = strings.Join(p.header.Values("Set-Cookie"), "\n")
	if p.status != http.StatusSeeOther || !strings.Contains(setCookie, "__Host-hearth_session=") ||
		!strings.Contains(setCookie, "Secure") || !strings.Contains(setCookie, "HttpOnly") ||
		!strings.Contains(setCookie, "SameSite=Lax") || strings.Contains(strings.ToLower(setCookie), "domain=") {
		t.Fatalf("login over TLS: %d, Set-Cookie %q", p.status, setCookie)
	}
	// Over plain http, the same login gives a plain cookie.
	login = second.get("http://alice.test/login")
	p = second.post("http://alice.test/login", login, url.Values{"passphrase": {passphrase}})
	setCookie = strings.Join(p.header.Values("Set-Cookie"), "\n")
	if p.status != http.StatusSeeOther || !strings.Contains(setCookie, "hearth_session=") || strings.Contains(setCookie, "Secure") ||
		!strings.Contains(setCookie, "HttpOnly") || !strings.Contains(setCookie, "SameSite=Lax") {
		t.Fatalf("login over http: %d, Set-Cookie %q", p.status, setCookie)
	}

	// CSRF: a form without its token, or with another session's, or posted from another origin.
	settings := b.get("http://alice.test/settings")
	if settings.status != 200 || strings.Count(settings.body, "<tr") < 4 { // header + 3 sessions
		t.Fatalf("settings: %d, want 3 sessions listed: %s", settings.status, settings.body)
	}
	change := url.Values{"current": {passphrase}, "next": {"a new passphrase here"}, "confirm": {"a new passphrase here"}}
	if p := b.post("http://alice.test/settings/passphrase", settings, url.Values{"csrf": {""}, "current": change["current"]}); p.status != http.StatusForbidden {
		t.Errorf("form without a CSRF token: %d", p.status)
	}
	if p := b.post("http://alice.test/settings/passphrase", settings, url.Values{"csrf": {csrfOf(login.body)}}); p.status != http.StatusForbidden {
		t.Errorf("form with another session's CSRF token: %d", p.status)
	}
	req, _ = http.NewRequest(http.MethodPost, "http://alice.test/logout", strings.NewReader("csrf="+url.QueryEscape(csrfOf(settings.body))))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://notes.alice.test")
	req.Header.Set("Sec-Fetch-Site", "same-site")
	if p := b.send(req); p.status != http.StatusForbidden {
		t.Errorf("logout posted from an app's origin: %d", p.status)
	}

	// Changing the passphrase ends the other sessions.
	if p := b.post("http://alice.test/settings/passphrase", settings, change); p.status != 200 || !strings.Contains(p.body, "Passphrase changed") {
		t.Fatalf("change passphrase: %d %s", p.status, p.body)
	}
	if p := second.get("http://alice.test/settings"); p.status != http.StatusFound {
		t.Errorf("the other session after a passphrase change: %d", p.status)
	}

	// Two-factor: turn it on, then a login needs the code.
	settings = b.get("http://alice.test/settings")
	setup := b.post("http://alice.test/settings/totp", settings, url.Values{})
	secret := regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`).FindStringSubmatch(setup.body)
	if setup.status != 200 || secret == nil || !strings.Contains(setup.body, `src="data:image/png;base64,`) {
		t.Fatalf("begin two-factor: %d %s", setup.status, setup.body)
	}
	code, _ := totp.GenerateCode(secret[1], time.Now())
	codes := b.post("http://alice.test/settings/totp/confirm", setup, url.Values{"code": {code}})
	if codes.status != 200 || strings.Count(codes.body, "<li><code>") != 10 {
		t.Fatalf("confirm two-factor: %d %s", codes.status, codes.body)
	}
	third := h.browser(t)
	login = third.get("http://alice.test/login")
	if !strings.Contains(login.body, `id="code"`) {
		t.Fatal("the login form asks for no code with two-factor on")
	}
	if p := third.post("http://alice.test/login", login, url.Values{"passphrase": {"a new passphrase here"}}); p.status != http.StatusUnauthorized {
		t.Errorf("login without the code: %d", p.status)
	}
	recovery := regexp.MustCompile(`<li><code>([a-z0-9-]+)</code>`).FindStringSubmatch(codes.body)[1]
	if p := third.post("http://alice.test/login", login, url.Values{"passphrase": {"a new passphrase here"}, "code": {recovery}}); p.status != http.StatusSeeOther {
		t.Fatalf("login with a recovery code: %d %s", p.status, p.body)
	}

	// Sessions: the owner logs the third browser out from the list.
	settings = b.get("http://alice.test/settings")
	revoke := regexp.MustCompile(`action="(/settings/sessions/[0-9a-f]+/revoke)"`).FindStringSubmatch(settings.body)
	if revoke == nil {
		t.Fatalf("no session to revoke: %s", settings.body)
	}
	if p := b.post("http://alice.test"+revoke[1], settings, url.Values{}); p.status != 200 {
		t.Fatalf("revoke: %d", p.status)
	}
	if p := third.get("http://alice.test/settings"); p.status != http.StatusFound {
		t.Errorf("a revoked session still sees the settings: %d", p.status)
	}

	// Devices connect through OAuth (devices_test.go): the settings list them, none yet.
	settings = b.get("http://alice.test/settings")
	if !strings.Contains(settings.body, `id="no-devices"`) || strings.Contains(settings.body, "/settings/tokens") {
		t.Errorf("settings without devices: %s", settings.body)
	}

	// Logout.
	home = b.get("http://alice.test/")
	if p := b.post("http://alice.test/logout", home, url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", p.status)
	}
	if p := b.get("http://alice.test/"); p.status != http.StatusFound || !strings.HasPrefix(p.location(), "/login") {
		t.Errorf("home after logout: %d %q", p.status, p.location())
	}
}

func TestLoginThrottled(t *testing.T) {
	h := start(t, runtime.Config{})
	h.addInstance(t, "alice.test")
	onboard(t, h, "alice.test")
	b := h.browser(t)
	login := b.get("http://alice.test/login")
	var last page
	for range 7 {
		last = b.post("http://alice.test/login", login, url.Values{"passphrase": {"not the passphrase"}})
	}
	if last.status != http.StatusTooManyRequests || last.header.Get("Retry-After") == "" {
		t.Fatalf("7th wrong passphrase: %d (Retry-After %q), want 429", last.status, last.header.Get("Retry-After"))
	}
	// Even the right passphrase waits now: nothing is checked while throttled.
	if p := b.post("http://alice.test/login", login, url.Values{"passphrase": {passphrase}}); p.status != http.StatusTooManyRequests {
		t.Errorf("right passphrase while throttled: %d", p.status)
	}
}

// The link given when an instance is created is signed, not stored: it works, and a link asked
// for later voids it.
func TestFirstOnboardingLink(t *testing.T) {
	h := start(t, runtime.Config{})
	ctx := context.Background()
	first, err := h.admin.AddInstance(ctx, "alice.test")
	if err != nil || first.Onboarding == nil {
		t.Fatalf("add: %+v %v", first, err)
	}
	second, err := h.admin.AddInstance(ctx, "bob.test")
	if err != nil || second.Onboarding == nil {
		t.Fatalf("add: %+v %v", second, err)
	}
	// Alice's link works.
	b := h.browser(t)
	if p := b.get(first.Onboarding.URL); p.status != 200 || !strings.Contains(p.body, `id="onboarding"`) {
		t.Fatalf("first link: %d %s", p.status, p.body)
	}
	// Bob's link on Alice's instance does not; and once a new link is issued, Bob's first dies.
	if p := b.get(strings.Replace(second.Onboarding.URL, "bob.test", "alice.test", 1)); p.status != http.StatusForbidden {
		t.Errorf("Bob's link on Alice's instance: %d", p.status)
	}
	if _, err := h.admin.Onboarding(ctx, "bob.test", false); err != nil {
		t.Fatal(err)
	}
	if p := b.get(second.Onboarding.URL); p.status != http.StatusForbidden {
		t.Errorf("a first link after a new one was issued: %d", p.status)
	}
}

// TestOwnerPagesRefuseBadInput sends what a confused or hostile owner's browser might: every
// answer is a page saying what is wrong, never a server error.
func TestOwnerPagesRefuseBadInput(t *testing.T) {
	h := start(t, runtime.Config{})
	h.addInstance(t, "alice.test")
	b := onboard(t, h, "alice.test")
	home := b.get("http://alice.test/")
	settings := b.get("http://alice.test/settings")
	posts := []struct {
		path string
		from page
		form url.Values
	}{
		{"/apps/install", home, url.Values{"url": {""}}},
		{"/apps/install", home, url.Values{"url": {"not a url"}}},
		{"/apps/install", home, url.Values{"url": {"ftp://example.org/x.git"}}},
		{"/apps/install", home, url.Values{"url": {"http://127.0.0.1:1/x.git"}}},
		{"/apps/plans/nope", home, url.Values{}},
		{"/apps/ghost/update", home, url.Values{}},
		{"/apps/ghost/remove", home, url.Values{}},
		{"/settings/sessions/nope/revoke", settings, url.Values{}},
		{"/settings/totp/confirm", settings, url.Values{"code": {"123456"}}},
		{"/settings/totp/disable", settings, url.Values{"passphrase": {passphrase}}},
		{"/settings/recovery-codes", settings, url.Values{"passphrase": {"wrong passphrase!"}}},
		{"/settings/passphrase", settings, url.Values{"current": {passphrase}, "next": {"short"}, "confirm": {"short"}}},
	}
	for _, p := range posts {
		got := b.post("http://alice.test"+p.path, p.from, p.form)
		if got.status >= 500 || (got.status == 200 && !strings.Contains(got.body, `id="error"`) && !strings.Contains(got.body, "logged out")) {
			t.Errorf("POST %s %v: %d %.300s", p.path, p.form, got.status, got.body)
		}
	}
	for _, path := range []string{"/apps/ghost", "/apps/ghost/icon", "/apps/plans/nope", "/apps/ghost/open", "/onboarding?token=x", "/login?next=//evil.example/"} {
		if got := b.get("http://alice.test" + path); got.status >= 500 {
			t.Errorf("GET %s: %d %.300s", path, got.status, got.body)
		}
	}
	// A login's next never leaves the instance or its apps.
	for _, next := range []string{"//evil.example/", "https://evil.example/", `/\evil.example`, "javascript:alert(1)", "http://notes.evil.test/"} {
		other := h.browser(t)
		login := other.get("http://alice.test/login")
		p := other.post("http://alice.test/login", login, url.Values{"passphrase": {passphrase}, "next": {next}})
		if p.status != http.StatusSeeOther || p.location() != "/" {
			t.Errorf("login with next %q went to %q", next, p.location())
		}
	}
}
