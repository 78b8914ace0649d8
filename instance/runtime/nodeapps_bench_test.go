package runtime_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hearth-cloud/hearth/instance/runtime"
)

// BenchmarkNodeAppHealthCheck measures the runtime's handler proxying the nodeproxy
// benchmark's request (GET /healthz with the app's session) to a running node app, without the
// network between the client and the runtime. The time includes the app's; the allocations
// are the runtime's.
func BenchmarkNodeAppHealthCheck(b *testing.B) {
	h := start(b, runtime.Config{AllowPrivateGit: true})
	h.addInstance(b, "alice.test")
	if err := installViaAdmin(b, h, "alice.test", fixtureRepo(b, "node-hello")); err != nil {
		b.Fatalf("install node-hello: %v", err)
	}
	cookie := appSession(b, h, "alice.test", "http://hello.alice.test/healthz")
	handler := h.rt.Public()
	ctx, cancel := context.WithCancel(context.Background()) // as a server's request's
	defer cancel()
	req := httptest.NewRequest(http.MethodGet, "http://hello.alice.test/healthz", nil).WithContext(ctx)
	req.Header.Set("Cookie", cookie)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, req.Clone(ctx))
		if w.Code != http.StatusOK || w.Body.String() != "ok\n" {
			b.Fatalf("%d %q", w.Code, w.Body)
		}
	}
}

// appSession onboards domain's owner, opens appURL through the hand-off and returns the
// Cookie header the browser then sends to the app's origin.
func appSession(t testing.TB, h *harness, domain, appURL string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: h.client.Transport, Jar: jar}
	get := func(u string) string {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", u, resp.StatusCode, body)
		}
		return string(body)
	}
	o, err := h.admin.Onboarding(context.Background(), domain, false)
	if err != nil {
		t.Fatal(err)
	}
	form := get(o.URL)
	field := func(name string) string {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]+)"`).FindStringSubmatch(form)
		if m == nil {
			t.Fatalf("no %s in the onboarding form", name)
		}
		return m[1]
	}
	resp, err := c.PostForm("http://"+domain+"/onboarding", url.Values{"token": {field("token")}, "csrf": {field("csrf")},
		"passphrase": {passphrase}, "confirm": {passphrase}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	get(appURL)
	u, _ := url.Parse(appURL)
	var cookies []string
	for _, ck := range jar.Cookies(u) {
		cookies = append(cookies, ck.Name+"="+ck.Value)
	}
	return strings.Join(cookies, "; ")
}
