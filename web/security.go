package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/textproto"
	"strings"
	"time"
)

// CSRF tokens are an HMAC of the binding (the owner's session id, or before login a random
// value kept in a cookie) under a key derived from the instance's secret: a form posted from
// elsewhere cannot know it, and a token of one session is worthless in another.

// CSRFToken returns the token of binding under key.
func CSRFToken(key []byte, binding string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("hearth-csrf\x00"))
	m.Write([]byte(binding))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF reports whether token is binding's token under key.
func CheckCSRF(key []byte, binding, token string) bool {
	if binding == "" || token == "" {
		return false
	}
	return hmac.Equal([]byte(CSRFToken(key, binding)), []byte(token))
}

// Secure reports whether the browser reached us over TLS: directly, or through a proxy that
// terminates TLS and says so with X-Forwarded-Proto. Cookies are then Secure and take the
// __Host- prefix (which browsers only accept host-only, on path /, and Secure). A client that
// fakes the header only makes its own cookies stricter.
func Secure(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

// CookieName is base, with the __Host- prefix when r came over TLS.
func CookieName(r *http.Request, base string) string {
	if Secure(r) {
		return "__Host-" + base
	}
	return base
}

// SetCookie sets a host-only, HttpOnly, SameSite=Lax cookie on path /, Secure over TLS.
// maxAge 0 makes a browser-session cookie; a negative one deletes it.
func SetCookie(w http.ResponseWriter, r *http.Request, base, value string, maxAge time.Duration) {
	c := &http.Cookie{
		Name: CookieName(r, base), Value: value, Path: "/",
		HttpOnly: true, Secure: Secure(r), SameSite: http.SameSiteLaxMode,
	}
	switch {
	case maxAge < 0:
		c.MaxAge = -1
	case maxAge > 0:
		c.MaxAge = int(maxAge / time.Second)
	}
	http.SetCookie(w, c)
}

// Cookie returns the value of the cookie base (with its prefix over TLS), or "".
func Cookie(r *http.Request, base string) string {
	if v, ok := cookieValue(r.Header["Cookie"], CookieName(r, base)); ok {
		return v
	}
	c, err := r.Cookie(CookieName(r, base))
	if err != nil {
		return ""
	}
	return c.Value
}

// maxFastCookies bounds the cookies cookieValue reads; with more, net/http reads them (and
// applies its own limit).
const maxFastCookies = 64

// cookieValue finds the cookie name in Cookie header lines as http.Request.Cookie does, without
// its allocations: the first part "name=value" with a valid value, unquoted. It reports false
// when it leaves the answer to net/http: too many cookies.
func cookieValue(lines []string, name string) (string, bool) {
	n := 0
	for _, line := range lines {
		n += strings.Count(line, ";") + 1
	}
	if n > maxFastCookies {
		return "", false
	}
	for _, line := range lines {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			k, v, _ := strings.Cut(textproto.TrimString(part), "=")
			if textproto.TrimString(k) != name {
				continue
			}
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if validCookieValue(v) {
				return v, true
			}
		}
	}
	return "", true
}

// validCookieValue reports whether v holds only the bytes net/http accepts in a cookie value.
func validCookieValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < 0x20 || b >= 0x7f || b == '"' || b == ';' || b == '\\' {
			return false
		}
	}
	return true
}

// RandomValue returns 32 random bytes, URL-safe base64.
func RandomValue() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported systems
	return base64.RawURLEncoding.EncodeToString(b[:])
}
