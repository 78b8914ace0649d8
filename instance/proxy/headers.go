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
// any Set-Cookie: files served from a tree never set one (the only cookie of an app's origin is
// the session the runtime sets at the end of its hand-off, outside this handler).
func SetSecurityHeaders(h http.Header, instance, nonce string) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy(instance, nonce))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Del("Set-Cookie")
}

// policy is an app's Content-Security-Policy, built once: whole for responses without a
// nonce, in two parts around the nonce for pages.
type policy struct {
	plain                []string // the header value, shared by responses (read-only)
	beforeNonce, afterIt string
}

func newPolicy(instance string) policy {
	// An origin that url.Parse accepted holds no NUL: it marks where the nonce goes.
	before, after, _ := strings.Cut(ContentSecurityPolicy(instance, "\x00"), "\x00")
	return policy{plain: headerValue(ContentSecurityPolicy(instance, "")), beforeNonce: before, afterIt: after}
}

// setSecurityHeaders is SetSecurityHeaders with a policy built once; nonce is base64url, or
// nil for none.
func (p *policy) setSecurityHeaders(h http.Header, nonce []byte) {
	if nonce == nil {
		h["Content-Security-Policy"] = p.plain
	} else {
		h["Content-Security-Policy"] = []string{p.beforeNonce + string(nonce) + p.afterIt}
	}
	h["X-Content-Type-Options"] = hdrNosniff
	h["Referrer-Policy"] = hdrSameOrigin
	h["X-Frame-Options"] = hdrDeny
	h["Cross-Origin-Opener-Policy"] = hdrSameOrigin
	delete(h, "Set-Cookie")
}

// nonceLen is the length of a CSP nonce: 18 random bytes in base64url.
const nonceLen = 24

// newNonce puts a random CSP nonce in b.
func newNonce(b *[nonceLen]byte) error {
	var raw [18]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return err
	}
	base64.RawURLEncoding.Encode(b[:], raw[:])
	return nil
}
