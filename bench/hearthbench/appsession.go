package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// benchPassphrase is the owner's passphrase on every instance the harness claims.
const benchPassphrase = "hearth bench passphrase"

// appCookie is the name of an app origin's session cookie over plain HTTP (instance/home).
const appCookie = "hearth_app"

var errSession = errors.New("hearthbench: owner session")

// browser is a client with a cookie jar that reaches every name of one hearth at its listener,
// as a browser resolving *.localhost to loopback does, and follows no redirect by itself.
type browser struct {
	c *http.Client
}

// newBrowser returns a browser dialing addr (host:port) whatever the URL's host.
func newBrowser(addr string) *browser {
	jar, _ := cookiejar.New(nil) // never fails without options
	var d net.Dialer
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &browser{c: &http.Client{Transport: tr, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request and reads the whole answer.
func (b *browser) do(ctx context.Context, method, u string, form url.Values) (*http.Response, string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s %s: %w", errSession, method, u, err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s %s: %w", errSession, method, u, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", fmt.Errorf("%w: read %s %s: %w", errSession, method, u, err)
	}
	return resp, string(raw), nil
}

// onboard claims the instance domain as its owner would through the one-time link of the
// admin API: the form's hidden csrf and token, a passphrase; the browser keeps the session.
func (b *browser) onboard(ctx context.Context, h *appHearth, domain string) error {
	o, err := h.adm.Onboarding(ctx, domain, false)
	if err != nil {
		return fmt.Errorf("%w: onboarding link of %s: %w", errSession, domain, err)
	}
	resp, page, err := b.do(ctx, http.MethodGet, o.URL, nil)
	if err != nil {
		return err
	}
	form := url.Values{"csrf": {hiddenInput(page, "csrf")}, "token": {hiddenInput(page, "token")},
		"passphrase": {benchPassphrase}, "confirm": {benchPassphrase}}
	if resp.StatusCode != http.StatusOK || form.Get("csrf") == "" || form.Get("token") == "" {
		return fmt.Errorf("%w: GET %s: %d without the onboarding form: %.300s", errSession, o.URL, resp.StatusCode, page)
	}
	resp, page, err = b.do(ctx, http.MethodPost, "http://"+domain+"/onboarding", form)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("%w: POST /onboarding on %s: %d %.300s", errSession, domain, resp.StatusCode, page)
	}
	return nil
}

// openApp runs the hand-off that gives the browser a session on an app's origin, starting
// from appURL (http://{slug}.{instance}/path), and returns the app session cookie's value. It
// stops once the origin set its cookie, before the redirect back to appURL: the app itself is
// not requested.
func (b *browser) openApp(ctx context.Context, appURL string) (string, error) {
	u := appURL
	for range 5 {
		resp, page, err := b.do(ctx, http.MethodGet, u, nil)
		if err != nil {
			return "", err
		}
		for _, c := range resp.Cookies() {
			if c.Name == appCookie && c.Value != "" {
				return c.Value, nil
			}
		}
		loc, err := resp.Location()
		if resp.StatusCode != http.StatusFound || err != nil {
			return "", fmt.Errorf("%w: GET %s: %d, not the hand-off: %.300s", errSession, u, resp.StatusCode, page)
		}
		u = loc.String()
	}
	return "", fmt.Errorf("%w: no %s cookie after 5 redirects from %s", errSession, appCookie, appURL)
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z]+)" value="([^"]*)">`)

// hiddenInput returns the value of the hidden input name of an HTML page, or "".
func hiddenInput(page, name string) string {
	for _, m := range hiddenRE.FindAllStringSubmatch(page, -1) {
		if m[1] == name {
			return html.UnescapeString(m[2])
		}
	}
	return ""
}
