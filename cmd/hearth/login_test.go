package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// ownerBrowser is the instance owner's browser in the CLI tests: a client with a cookie jar.
type ownerBrowser struct {
	t      *testing.T
	client *http.Client
}

func (o *ownerBrowser) get(u string) (int, string) {
	o.t.Helper()
	resp, err := o.client.Get(u)
	if err != nil {
		o.t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (o *ownerBrowser) post(u string, form url.Values) (int, string) {
	o.t.Helper()
	resp, err := o.client.PostForm(u, form)
	if err != nil {
		o.t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var (
	csrfField   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	hiddenField = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)
)

// claim adds the instance domain through the CLI and sets its owner's passphrase through the
// onboarding link it prints; it returns the owner's logged-in browser.
func claim(t *testing.T, adm, dataDir, domain string) *ownerBrowser {
	t.Helper()
	code, out, errOut := cli(t, "instances", "add", domain, "--admin-url", "http://"+adm, "--data-dir", dataDir)
	link := regexp.MustCompile(`http://\S+/onboarding\?token=\S+`).FindString(out)
	if code != 0 || link == "" {
		t.Fatalf("instances add: %d %q %q", code, out, errOut)
	}
	jar, _ := cookiejar.New(nil)
	o := &ownerBrowser{t: t, client: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	_, form := o.get(link)
	tok := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(form)
	if tok == nil {
		t.Fatalf("onboarding page: %s", form)
	}
	pass := "correct horse battery staple"
	if st, body := o.post("http://"+domain+"/onboarding", url.Values{"token": {tok[1]}, "passphrase": {pass}, "confirm": {pass},
		"csrf": {csrfField.FindStringSubmatch(form)[1]}}); st != 200 || !strings.Contains(body, "Settings") {
		t.Fatalf("onboarding: %d", st)
	}
	return o
}

// answer has the owner open the approval page and press action ("approve" or "deny");
// the browser then follows the redirect to the CLI's loopback listener.
func (o *ownerBrowser) answer(consentURL, action string) string {
	o.t.Helper()
	st, page := o.get(consentURL)
	if st != 200 || !strings.Contains(page, `id="authorize-form"`) {
		o.t.Fatalf("approval page: %d %s", st, page)
	}
	form := url.Values{"action": {action}, "csrf": {csrfField.FindStringSubmatch(page)[1]}}
	for _, m := range hiddenField.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'").Replace(m[2]))
	}
	for _, m := range regexp.MustCompile(`<select name="(grant\.[a-z0-9.-]+)"`).FindAllStringSubmatch(page, -1) {
		form.Set(m[1], "asked")
	}
	base := consentURL[:strings.Index(consentURL, "/oauth/")]
	_, body := o.post(base+"/oauth/authorize", form)
	return body
}

// urlWriter is a standard error that hands over the first approval page address written.
type urlWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	urls chan string
}

func (w *urlWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if u := regexp.MustCompile(`http://\S+/oauth/authorize\?\S+`).FindString(w.buf.String()); u != "" {
		select {
		case w.urls <- u:
		default:
		}
	}
	return len(p), nil
}

func (w *urlWriter) String() string { w.mu.Lock(); defer w.mu.Unlock(); return w.buf.String() }

// loginAs runs `hearth login` in the background and has the owner answer with action; it
// returns the CLI's exit code, output and errors, and what the browser showed at the end.
func loginAs(t *testing.T, o *ownerBrowser, base, scope, action string) (code int, stdout, stderr, shown string) {
	t.Helper()
	errW := &urlWriter{urls: make(chan string, 1)}
	var out bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"login", base, "--scope", scope, "--no-browser", "--name", "test laptop", "--timeout", "1m"},
			strings.NewReader(""), &out, errW)
	}()
	select {
	case u := <-errW.urls:
		shown = o.answer(u, action)
	case code := <-done:
		t.Fatalf("login exited %d before asking: %s", code, errW.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("login printed no approval page: %s", errW.String())
	}
	select {
	case code = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("login did not finish after the approval")
	}
	return code, out.String(), errW.String(), shown
}

func TestLoginAndDataCLI(t *testing.T) {
	dir := t.TempDir()
	pub, adm := serveInProcess(t, dir)
	port := pub[strings.LastIndex(pub, ":")+1:]
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	domain := "localhost:" + port // resolves without DNS; the second instance is the bare address
	o := claim(t, adm, dir, domain)
	claim(t, adm, dir, "127.0.0.1:"+port)
	base := "http://" + domain

	// Before any login: a clear error; bad arguments: usage errors.
	if code, _, errOut := cli(t, "data", "get", "io.hearth.notes", "x"); code != 1 || !strings.Contains(errOut, "not logged in") {
		t.Errorf("data before login: %d %q", code, errOut)
	}
	if code, _, errOut := cli(t, "login", base); code != 2 || !strings.Contains(errOut, "--scope") {
		t.Errorf("login without scope: %d %q", code, errOut)
	}
	if code, _, errOut := cli(t, "login", "ftp://x", "--scope", "io.hearth.notes"); code != 2 || !strings.Contains(errOut, "not an instance address") {
		t.Errorf("login to a bad address: %d %q", code, errOut)
	}

	// The owner denies: the CLI says so and saves nothing.
	code, _, errOut, shown := loginAs(t, o, base, "io.hearth.notes", "deny")
	if code != 1 || !strings.Contains(errOut, "access_denied") || !strings.Contains(shown, "not connected") {
		t.Errorf("denied login: %d %q %q", code, errOut, shown)
	}
	if _, err := os.Stat(filepath.Join(config, "hearth", "credentials.json")); !os.IsNotExist(err) {
		t.Errorf("credentials saved after a denial: %v", err)
	}

	// The owner approves: tokens saved, readable by the user only.
	code, out, errOut, shown := loginAs(t, o, base, "io.hearth.notes io.hearth.contacts:GET", "approve")
	if code != 0 || !strings.Contains(out, "Logged in to "+base) || !strings.Contains(shown, "connected") {
		t.Fatalf("login: %d %q %q %q", code, out, errOut, shown)
	}
	path := filepath.Join(config, "hearth", "credentials.json")
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", fi, err)
	}
	creds := readCreds(t, path)
	if l := creds.Instances[base]; l == nil || l.AccessToken == "" || l.RefreshToken == "" || l.Scope != "io.hearth.notes io.hearth.contacts:GET" {
		t.Fatalf("saved login: %+v", creds)
	}

	// Data: put, get, find, changes; what the login does not grant is refused, clearly.
	steps := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"data", "put", "io.hearth.notes", "n1", `{"title": "milk and bread"}`}, 0, `"ok": true`},
		{[]string{"data", "put", "io.hearth.notes", `{"title": "eggs"}`}, 0, `"ok": true`},
		{[]string{"data", "get", "io.hearth.notes", "n1"}, 0, `"title": "milk and bread"`},
		{[]string{"data", "find", "io.hearth.notes", `{"title": {"$regex": "^milk"}}`, "--fields", "_id,title"}, 0, `{"_id":"n1","title":"milk and bread"}`},
		{[]string{"data", "changes", "io.hearth.notes", "--instance", base}, 0, `"last_seq"`},
		{[]string{"data", "get", "io.hearth.notes", "nope"}, 1, "not_found"},
		{[]string{"data", "put", "io.hearth.contacts", "c1", `{"name": "Bob"}`}, 1, "not allowed"},
		{[]string{"data", "get", "io.hearth.bookmarks", "b1"}, 1, "not allowed"},
		{[]string{"data", "put", "io.hearth.notes", "n2", `not json`}, 2, "not a JSON object"},
		{[]string{"data", "find", "io.hearth.notes", `{`}, 2, "selector"},
		{[]string{"data", "get", "io.hearth.notes", "n1", "--instance", "http://127.0.0.1:" + port}, 1, "not logged in to"},
		{[]string{"data", "frob", "io.hearth.notes"}, 2, "usage"},
	}
	for _, s := range steps {
		code, out, errOut := cli(t, s.args...)
		if code != s.code || !strings.Contains(out+errOut, s.want) {
			t.Errorf("hearth %s: %d %q %q; want %d and %q", strings.Join(s.args, " "), code, out, errOut, s.code, s.want)
		}
	}
	if code, out, _ := cli(t, "data", "changes", "io.hearth.notes"); code != 0 || strings.Count(out, "\n") != 3 {
		t.Errorf("changes: two documents then last_seq, got %d %q", code, out)
	}

	// An expired access token is refreshed, and the rotated tokens saved.
	creds.Instances[base].ExpiresAt = time.Now().Add(-time.Minute)
	writeCreds(t, path, creds)
	if code, _, errOut := cli(t, "data", "get", "io.hearth.notes", "n1"); code != 0 {
		t.Fatalf("get with an expired token: %d %q", code, errOut)
	}
	fresh := readCreds(t, path).Instances[base]
	if fresh.RefreshToken == creds.Instances[base].RefreshToken || time.Until(fresh.ExpiresAt) < 50*time.Minute || fresh.ClientID == "" {
		t.Errorf("refreshed login: %+v", fresh)
	}

	// Search: the API's answer printed, or its error.
	searchCLI(t)

	// The same token on another instance fails.
	req, _ := http.NewRequest("GET", "http://127.0.0.1:"+port+"/data/io.hearth.notes/n1", nil)
	req.Header.Set("Authorization", "Bearer "+fresh.AccessToken)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("the device token on another instance: %v %v", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}

	// Revoked by the owner: the next command fails at once, telling what to do.
	_, settings := o.get(base + "/settings")
	revoke := regexp.MustCompile(`action="(/settings/devices/[0-9a-f]+/revoke)"`).FindStringSubmatch(settings)
	if revoke == nil || !strings.Contains(settings, "test laptop") {
		t.Fatalf("the settings do not list the CLI: %s", settings)
	}
	if st, _ := o.post(base+revoke[1], url.Values{"csrf": {csrfField.FindStringSubmatch(settings)[1]}}); st != 200 {
		t.Fatalf("revoke: %d", st)
	}
	if code, _, errOut := cli(t, "data", "get", "io.hearth.notes", "n1"); code != 1 || !strings.Contains(errOut, "hearth login "+base) {
		t.Errorf("after the revocation: %d %q", code, errOut)
	}
}

func readCreds(t *testing.T, path string) *credentials {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c credentials
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func writeCreds(t *testing.T, path string, c *credentials) {
	t.Helper()
	b, _ := json.Marshal(c)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
