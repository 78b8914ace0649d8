package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"

	"github.com/hearth-cloud/hearth/instance/admin"
)

var (
	csrfRE   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)
	tokenRE  = regexp.MustCompile(`name="token" value="([^"]+)"`)
)

// deviceToken claims the instance at base (its onboarding link from the admin API) and
// connects a device as a person would: registration, the owner's approval of scope on the
// consent page, the code traded with PKCE. It returns the device's access token.
func deviceToken(ctx context.Context, adm *admin.Client, domain, base, scope string) (string, error) {
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	o, err := adm.Onboarding(ctx, domain, false)
	if err != nil {
		return "", err
	}
	page, err := fetch(browser, "GET", o.URL, nil)
	if err != nil {
		return "", err
	}
	pass := "a passphrase for the benchmark"
	if _, err := fetch(browser, "POST", base+"/onboarding", url.Values{"token": {match(tokenRE, page)}, "passphrase": {pass},
		"confirm": {pass}, "csrf": {match(csrfRE, page)}}); err != nil {
		return "", err
	}
	reg, err := fetch(http.DefaultClient, "POST", base+"/oauth/register", `{"client_name":"pouchpull","redirect_uris":["http://127.0.0.1:9/cb"]}`)
	if err != nil {
		return "", err
	}
	var client struct {
		ClientID string `json:"client_id"`
	}
	if err := json.Unmarshal([]byte(reg), &client); err != nil {
		return "", fmt.Errorf("register: %s", reg)
	}
	v := make([]byte, 32)
	_, _ = rand.Read(v)
	verifier := base64.RawURLEncoding.EncodeToString(v)
	sum := sha256.Sum256([]byte(verifier))
	consent, err := fetch(browser, "GET", base+"/oauth/authorize?"+url.Values{"response_type": {"code"}, "client_id": {client.ClientID},
		"redirect_uri": {"http://127.0.0.1:9/cb"}, "scope": {scope}, "state": {"s"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}.Encode(), nil)
	if err != nil {
		return "", err
	}
	form := url.Values{"action": {"approve"}, "csrf": {match(csrfRE, consent)}, "grant." + scope: {"asked"}}
	for _, m := range hiddenRE.FindAllStringSubmatch(consent, -1) {
		form.Set(m[1], strings.NewReplacer("&amp;", "&", "&#43;", "+").Replace(m[2]))
	}
	resp, err := browser.PostForm(base+"/oauth/authorize", form)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		return "", fmt.Errorf("approval: %s %q", resp.Status, resp.Header.Get("Location"))
	}
	tok, err := fetch(http.DefaultClient, "POST", base+"/oauth/token", url.Values{"grant_type": {"authorization_code"},
		"code": {loc.Query().Get("code")}, "client_id": {client.ClientID}, "redirect_uri": {"http://127.0.0.1:9/cb"}, "code_verifier": {verifier}})
	if err != nil {
		return "", err
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(tok), &out); err != nil || out.AccessToken == "" {
		return "", fmt.Errorf("token: %s", tok)
	}
	return out.AccessToken, nil
}

// fetch sends a request (a form, a JSON string or nothing) and returns the body of a 2xx or
// 3xx answer.
func fetch(c *http.Client, method, u string, body any) (string, error) {
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return "", err
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		return "", fmt.Errorf("%s %s: %s %s", method, u, resp.Status, raw)
	}
	return string(raw), nil
}

func match(re *regexp.Regexp, s string) string {
	if m := re.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}
