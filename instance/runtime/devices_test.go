package runtime_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hearth-cloud/hearth/instance/runtime"
)

// device is an OAuth client of the tests, as a device would be.
type device struct {
	h        *harness
	base     string // "http://alice.test"
	clientID string
	redirect string
	verifier string
}

// tokens is the token endpoint's answer.
type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	Scope        string `json:"scope"`
	DeviceID     string `json:"device_id"`
	Error        string `json:"error"`
	Description  string `json:"error_description"`
}

// postOAuth posts to an OAuth endpoint and decodes the JSON answer into out.
func (h *harness) postOAuth(t *testing.T, u, contentType, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("%s answered without Cache-Control: no-store", u)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("%s: %d %s", u, resp.StatusCode, raw)
	}
	return resp.StatusCode
}

// registerDevice registers a client named name on base.
func registerDevice(t *testing.T, h *harness, base, name, redirect string) *device {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"client_name": name, "redirect_uris": []string{redirect}})
	var reg struct {
		ClientID string `json:"client_id"`
		Error    string `json:"error"`
	}
	if st := h.postOAuth(t, base+"/oauth/register", "application/json", string(body), &reg); st != http.StatusCreated || reg.ClientID == "" {
		t.Fatalf("register: %d %+v", st, reg)
	}
	v := make([]byte, 32)
	_, _ = rand.Read(v)
	return &device{h: h, base: base, clientID: reg.ClientID, redirect: redirect, verifier: base64.RawURLEncoding.EncodeToString(v)}
}

// authorizeURL is the consent page's address for scope.
func (d *device) authorizeURL(scope string) string {
	sum := sha256.Sum256([]byte(d.verifier))
	return d.base + "/oauth/authorize?" + url.Values{"response_type": {"code"}, "client_id": {d.clientID},
		"redirect_uri": {d.redirect}, "scope": {scope}, "state": {"st4te"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}.Encode()
}

// approve has the owner (b, logged in) answer the consent page with grants (doctype →
// "asked", "read" or "none"; unnamed doctypes as asked) and returns the redirect's query.
func (d *device) approve(t *testing.T, b *browser, scope string, grants map[string]string, action string) url.Values {
	t.Helper()
	consent := b.get(d.authorizeURL(scope))
	if consent.status != 200 || !strings.Contains(consent.body, `id="authorize-form"`) {
		t.Fatalf("consent page: %d %s", consent.status, consent.body)
	}
	form := url.Values{"action": {action}}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`).FindAllStringSubmatch(consent.body, -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	for doctype, g := range grants {
		form.Set("grant."+doctype, g)
	}
	for _, m := range regexp.MustCompile(`<select name="grant\.([a-z0-9.-]+)"`).FindAllStringSubmatch(consent.body, -1) {
		if form.Get("grant."+m[1]) == "" {
			form.Set("grant."+m[1], "asked")
		}
	}
	p := b.post(d.base+"/oauth/authorize", consent, form)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), d.redirect) {
		t.Fatalf("approve: %d %q %s", p.status, p.location(), p.body)
	}
	u, _ := url.Parse(p.location())
	if u.Query().Get("state") != "st4te" || u.Query().Get("iss") != d.base {
		t.Errorf("redirect without the state or the issuer: %s", p.location())
	}
	return u.Query()
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&#43;", "+").Replace(s)
}

// exchange trades code for tokens with verifier; it returns the status and the answer.
func (d *device) exchange(t *testing.T, code, verifier string) (int, tokens) {
	t.Helper()
	var out tokens
	st := d.h.postOAuth(t, d.base+"/oauth/token", "application/x-www-form-urlencoded", url.Values{"grant_type": {"authorization_code"},
		"code": {code}, "client_id": {d.clientID}, "redirect_uri": {d.redirect}, "code_verifier": {verifier}}.Encode(), &out)
	return st, out
}

func (d *device) refresh(t *testing.T, refresh string) (int, tokens) {
	t.Helper()
	var out tokens
	st := d.h.postOAuth(t, d.base+"/oauth/token", "application/x-www-form-urlencoded", url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {refresh}, "client_id": {d.clientID}}.Encode(), &out)
	return st, out
}

// connect registers a device on domain, has the owner approve scope as asked and returns
// its tokens.
func connect(t *testing.T, h *harness, b *browser, domain, name, scope string) (*device, tokens) {
	t.Helper()
	d := registerDevice(t, h, "http://"+domain, name, "http://127.0.0.1:4567/callback")
	q := d.approve(t, b, scope, nil, "approve")
	st, tok := d.exchange(t, q.Get("code"), d.verifier)
	if st != 200 || tok.AccessToken == "" {
		t.Fatalf("exchange: %d %+v", st, tok)
	}
	return d, tok
}

func TestDevicesOAuth(t *testing.T) {
	h := start(t, runtime.Config{})
	h.addInstance(t, "alice.test")
	h.addInstance(t, "bob.test")
	b := onboard(t, h, "alice.test")
	onboard(t, h, "bob.test")

	// The metadata (RFC 8414).
	var md map[string]any
	resp, err := h.client.Get("http://alice.test/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&md)
	resp.Body.Close()
	if md["issuer"] != "http://alice.test" || md["token_endpoint"] != "http://alice.test/oauth/token" ||
		md["registration_endpoint"] != "http://alice.test/oauth/register" || !strings.Contains(asJSON(md["code_challenge_methods_supported"]), `["S256"]`) {
		t.Errorf("metadata: %v", md)
	}

	// Registration refuses what a device may not be.
	var bad tokens
	if st := h.postOAuth(t, "http://alice.test/oauth/register", "application/json", `{"client_name":"x","redirect_uris":["http://evil.example/cb"]}`, &bad); st != 400 || bad.Error != "invalid_redirect_uri" {
		t.Errorf("register a remote http redirect: %d %+v", st, bad)
	}
	if st := h.postOAuth(t, "http://alice.test/oauth/register", "application/json", `not json`, &bad); st != 400 || bad.Error != "invalid_client_metadata" {
		t.Errorf("register garbage: %d %+v", st, bad)
	}

	d := registerDevice(t, h, "http://alice.test", `Laptop <script>alert(1)</script>`, "http://127.0.0.1:4567/callback")
	scope := "io.hearth.notes io.hearth.contacts io.hearth.bookmarks:GET"

	// Not logged in: the login page first, then back here.
	stranger := h.browser(t)
	if p := stranger.get(d.authorizeURL(scope)); p.status != http.StatusFound || !strings.HasPrefix(p.location(), "/login?next=%2Foauth%2Fauthorize") {
		t.Errorf("consent page logged out: %d %q", p.status, p.location())
	}
	// A redirect URI the client did not register: an error page, never a redirect there.
	wrong := strings.Replace(d.authorizeURL(scope), "callback", "elsewhere", 1)
	if p := b.get(wrong); p.status != 400 || p.location() != "" || !strings.Contains(strings.ToLower(p.body), "redirect_uri is not one the client registered") {
		t.Errorf("wrong redirect: %d %q", p.status, p.location())
	}
	if p := b.get(strings.Replace(d.authorizeURL(scope), "client_id=", "client_id=x", 1)); p.status != 400 || p.location() != "" {
		t.Errorf("unknown client: %d %q", p.status, p.location())
	}
	// Without PKCE: back to the client with an error.
	noPKCE := regexp.MustCompile(`&code_challenge=[^&]+`).ReplaceAllString(d.authorizeURL(scope), "")
	if p := b.get(noPKCE); p.status != http.StatusFound || !strings.Contains(p.location(), "error=invalid_request") || !strings.Contains(p.location(), "state=st4te") {
		t.Errorf("no PKCE: %d %q", p.status, p.location())
	}

	// The consent page names the device (escaped) and each doctype with its access; its form
	// may send the browser back to the device.
	consent := b.get(d.authorizeURL(scope))
	if strings.Contains(consent.body, "<script>alert") || !strings.Contains(consent.body, "Laptop &lt;script&gt;") {
		t.Errorf("the device's name is not escaped: %s", consent.body)
	}
	for _, want := range []string{"io.hearth.notes", "io.hearth.contacts", "io.hearth.bookmarks", "read and write", `value="read">read only`} {
		if !strings.Contains(consent.body, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	if csp := consent.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' http://127.0.0.1:4567") {
		t.Errorf("consent page CSP: %s", csp)
	}
	if p := stranger.post("http://alice.test/oauth/authorize", consent, url.Values{"action": {"approve"}}); p.status != http.StatusForbidden {
		t.Errorf("approval posted by another browser: %d", p.status)
	}

	// Denied: the device hears access_denied, and nothing is recorded.
	if q := d.approve(t, b, scope, nil, "deny"); q.Get("error") != "access_denied" || q.Get("code") != "" {
		t.Errorf("deny: %v", q)
	}

	// The owner narrows: contacts read only, no bookmarks.
	q := d.approve(t, b, scope, map[string]string{"io.hearth.contacts": "read", "io.hearth.bookmarks": "none"}, "approve")
	code := q.Get("code")
	if st, out := d.exchange(t, code, strings.Repeat("x", 43)); st != 400 || out.Error != "invalid_grant" || out.AccessToken != "" {
		t.Errorf("wrong verifier: %d %+v", st, out)
	}
	if st, out := d.exchange(t, code, ""); st != 400 || out.Error != "invalid_request" {
		t.Errorf("no verifier: %d %+v", st, out)
	}
	other := registerDevice(t, h, "http://alice.test", "other", "http://127.0.0.1:4567/callback")
	if st, out := other.exchange(t, code, d.verifier); st != 400 || out.Error != "invalid_grant" {
		t.Errorf("code exchanged by another client: %d %+v", st, out)
	}
	st, tok := d.exchange(t, code, d.verifier)
	if st != 200 || tok.Scope != "io.hearth.notes io.hearth.contacts:GET" || tok.ExpiresIn != 3600 {
		t.Fatalf("exchange: %d %+v", st, tok)
	}

	// The token holds what the owner granted, on this instance only.
	checks := []struct {
		method, url string
		want        int
	}{
		{"PUT", "http://alice.test/data/io.hearth.notes/n1", 201},
		{"GET", "http://alice.test/data/io.hearth.contacts/_all_docs", 200},
		{"PUT", "http://alice.test/data/io.hearth.contacts/c1", 403},
		{"GET", "http://alice.test/data/io.hearth.bookmarks/_all_docs", 403},
		{"GET", "http://bob.test/data/io.hearth.notes/_all_docs", 401},
	}
	for _, c := range checks {
		if st, body := h.do(t, c.method, c.url, tok.AccessToken, map[string]any{"a": 1}); st != c.want {
			t.Errorf("%s %s with the device token: %d %v, want %d", c.method, c.url, st, body, c.want)
		}
	}

	// The settings list it: name, access, last sync.
	settings := b.get("http://alice.test/settings")
	row := regexp.MustCompile(`(?s)<tr id="device-` + tok.DeviceID + `".*?</tr>`).FindString(settings.body)
	if !strings.Contains(row, "Laptop &lt;script&gt;") || !strings.Contains(row, "<code>io.hearth.contacts</code> read<br>") ||
		!strings.Contains(row, "<code>io.hearth.notes</code> read and write") || !strings.Contains(row, `<td class="last-sync">just now</td>`) {
		t.Errorf("settings row: %s", row)
	}

	// Refresh: rotated; the old refresh token again revokes the device.
	st, tok2 := d.refresh(t, tok.RefreshToken)
	if st != 200 || tok2.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh: %d %+v", st, tok2)
	}
	if st, _ := h.do(t, "GET", "http://alice.test/data/io.hearth.notes/n1", tok2.AccessToken, nil); st != 200 {
		t.Errorf("GET with the refreshed token: %d", st)
	}

	// Revoked from the settings: both access tokens stop at once, the refresh token too.
	revoke := regexp.MustCompile(`action="(/settings/devices/` + tok.DeviceID + `/revoke)"`).FindStringSubmatch(settings.body)
	if revoke == nil {
		t.Fatal("no revoke button")
	}
	if p := b.post("http://alice.test"+revoke[1], settings, url.Values{}); p.status != 200 || !strings.Contains(p.body, "revoked") {
		t.Fatalf("revoke: %d", p.status)
	}
	for _, at := range []string{tok.AccessToken, tok2.AccessToken} {
		if st, _ := h.do(t, "GET", "http://alice.test/data/io.hearth.notes/n1", at, nil); st != 401 {
			t.Errorf("GET with a revoked device's token: %d", st)
		}
	}
	if st, out := d.refresh(t, tok2.RefreshToken); st != 400 || out.Error != "invalid_grant" {
		t.Errorf("refresh of a revoked device: %d %+v", st, out)
	}

	// Another device: reusing a spent refresh token revokes it.
	d3, t3 := connect(t, h, b, "alice.test", "phone", "io.hearth.notes")
	if st, _ := d3.refresh(t, t3.RefreshToken); st != 200 {
		t.Fatal("refresh")
	}
	if st, out := d3.refresh(t, t3.RefreshToken); st != 400 || out.Error != "invalid_grant" {
		t.Errorf("spent refresh token: %d %+v", st, out)
	}
	if st, _ := h.do(t, "GET", "http://alice.test/data/io.hearth.notes/n1", t3.AccessToken, nil); st != 401 {
		t.Errorf("GET after a refresh token's reuse: %d", st)
	}
	if settings := b.get("http://alice.test/settings"); !strings.Contains(settings.body, "revoked: a spent refresh token was used again") {
		t.Errorf("the settings do not say why the phone was revoked")
	}
}

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
