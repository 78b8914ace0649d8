package proxy

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
)

// ContentSecurityPolicy is the policy of an app's responses. instance is the instance's origin
// ("https://alice.example"): the app may connect to it (the Data System) and to its WebSocket
// (realtime). nonce, when not empty, allows the one inline script that carries the token.
func ContentSecurityPolicy(instance, nonce string) string {
	connect := "'self'"
	if u, err := url.Parse(instance); err == nil && u.Host != "" {
		ws := "wss"
		if u.Scheme == "http" {
			ws = "ws"
		}
		connect += " " + u.Scheme + "://" + u.Host + " " + ws + "://" + u.Host
	}
	script := "'self'"
	if nonce != "" {
		script += " 'nonce-" + nonce + "'"
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src " + script,
		"style-src 'self' 'unsafe-inline'",
		"img-src 'self' data: blob:",
		"connect-src " + connect,
		"object-src 'none'",
		"base-uri 'self'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; ")
}

// SetSecurityHeaders puts the headers every response on an app's origin carries, and removes
// any Set-Cookie: the instance never sets a cookie on an app's origin.
func SetSecurityHeaders(h http.Header, instance, nonce string) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy(instance, nonce))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Del("Set-Cookie")
}

// StripInstanceCookies removes the Cookie header from a request on an app's origin, so that
// nothing downstream (a node app behind the proxy) ever sees a cookie meant for the instance.
// Host-only cookies of the instance do not reach an app's origin; this also covers cookies
// set for a parent domain.
func StripInstanceCookies(r *http.Request) { r.Header.Del("Cookie") }

// newNonce returns a random CSP nonce.
func newNonce() (string, error) {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
