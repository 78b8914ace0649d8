package home

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hearth-cloud/hearth/instance/auth"
	"github.com/hearth-cloud/hearth/instance/owner"
	"github.com/hearth-cloud/hearth/instance/tenants"
	"github.com/hearth-cloud/hearth/web"
)

// An app's origin ({slug}.{instance}) never receives the owner's cookie, which is host-only on
// the instance. It gets a session of its own through a hand-off:
//
//  1. A request on the app's origin without its session is sent to
//     {instance}/apps/{slug}/open?next={url} (the proxy's login URL).
//  2. There the owner logs in if needed; the instance then sends the browser back to
//     {app}/.hearth/session?code={code}&next={path}, where code is a one-time value (60 s)
//     signed with the instance's key, naming the app and the owner's session.
//  3. The app's origin checks the code and sets its own cookie (host-only, HttpOnly,
//     SameSite=Lax), signed the same way and bound to the owner's session: when that session
//     ends (logout, revocation, passphrase change), the app's session ends with it (at once on
//     this runtime, within aliveTTL on others).
//
// The cookie's name is AppCookie; the runtime removes it from requests before they reach a
// node app, so an app never sees a credential.

// SessionPath is the path, on an app's origin, that ends the hand-off.
const SessionPath = "/.hearth/session"

const (
	codeTTL       = time.Minute
	appSessionTTL = 12 * time.Hour
	aliveTTL      = 10 * time.Second // how long a checked owner session is trusted without a read
	// AppTokenTTL is how long the token handed to an app's page lives; hearth.js renews it.
	AppTokenTTL = time.Hour
)

// sessionKey is the instance's key for codes and app session cookies.
func sessionKey(inst *tenants.Instance) []byte {
	m := hmac.New(sha256.New, inst.Secret)
	m.Write([]byte("hearth-app-session"))
	return m.Sum(nil)
}

// appClaim is what a code or an app session cookie says.
type appClaim struct {
	kind, slug, sid string
	expires         time.Time
	nonce           string
}

func signClaim(inst *tenants.Instance, c appClaim) string {
	payload := strings.Join([]string{"v1", c.kind, inst.ID, c.slug, c.sid, strconv.FormatInt(c.expires.Unix(), 10), c.nonce}, "|")
	m := hmac.New(sha256.New, sessionKey(inst))
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// verifyClaim checks the signature, kind, instance, app and expiry of a signed claim.
func verifyClaim(inst *tenants.Instance, kind, slug, signed string, now time.Time) (appClaim, bool) {
	p64, s64, ok := strings.Cut(signed, ".")
	if !ok || len(signed) > 1024 {
		return appClaim{}, false
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p64)
	sig, err2 := base64.RawURLEncoding.DecodeString(s64)
	if err1 != nil || err2 != nil {
		return appClaim{}, false
	}
	m := hmac.New(sha256.New, sessionKey(inst))
	m.Write(payload)
	if !hmac.Equal(sig, m.Sum(nil)) {
		return appClaim{}, false
	}
	f := strings.Split(string(payload), "|")
	if len(f) != 7 || f[0] != "v1" || f[1] != kind || f[2] != inst.ID || f[3] != slug {
		return appClaim{}, false
	}
	exp, err := strconv.ParseInt(f[5], 10, 64)
	if err != nil || !now.Before(time.Unix(exp, 0)) {
		return appClaim{}, false
	}
	return appClaim{kind: kind, slug: slug, sid: f[4], expires: time.Unix(exp, 0), nonce: f[6]}, true
}

// openApp is step 2 of the hand-off, on the instance's origin.
func (h *Home) openApp(q *req) error {
	slug := q.c.Param("slug")
	if q.session == nil {
		redirectLogin(q)
		return nil
	}
	if _, err := h.cfg.Apps.Get(q.ctx(), q.inst.ID, slug); err != nil {
		return h.appsError(q, err)
	}
	origin := h.cfg.AppOrigin(q.c.Request, q.inst, slug)
	next := "/"
	if u, err := url.Parse(q.c.Query("next")); err == nil && u.Scheme+"://"+u.Host == origin && localPath(u.RequestURI()) {
		next = u.RequestURI()
	}
	code := signClaim(q.inst, appClaim{kind: "code", slug: slug, sid: q.session.ID,
		expires: time.Now().Add(codeTTL), nonce: web.RandomValue()})
	q.c.Header("Cache-Control", "no-store")
	q.c.Redirect(http.StatusFound, origin+SessionPath+"?code="+url.QueryEscape(code)+"&next="+url.QueryEscape(next))
	return nil
}

// ServeAppSession is step 3 of the hand-off, on the app's origin: the runtime calls it for
// requests to SessionPath there.
func (h *Home) ServeAppSession(w http.ResponseWriter, r *http.Request, inst *tenants.Instance, slug string) {
	w.Header().Set("Cache-Control", "no-store")
	now := time.Now()
	c, ok := verifyClaim(inst, "code", slug, r.URL.Query().Get("code"), now)
	if !ok || !h.codes.use(c.nonce, c.expires, now) || !h.ownerAlive(r.Context(), inst, c.sid) {
		http.Error(w, "This sign-in link is not valid any more: open the app again from your Hearth.", http.StatusForbidden)
		return
	}
	cookie := signClaim(inst, appClaim{kind: "app", slug: slug, sid: c.sid, expires: now.Add(appSessionTTL), nonce: web.RandomValue()})
	web.SetCookie(w, r, AppCookie, cookie, appSessionTTL)
	next := r.URL.Query().Get("next")
	if !localPath(next) {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusFound)
}

// AppGate reports whether r, on the origin of app slug of inst, carries a live app session.
func (h *Home) AppGate(r *http.Request, inst *tenants.Instance, slug string) bool {
	v := web.Cookie(r, AppCookie)
	if v == "" {
		return false
	}
	now := time.Now()
	sid, ok := h.checkedCookie(v, inst, slug, now)
	if !ok {
		c, valid := verifyClaim(inst, "app", slug, v, now)
		if !valid {
			return false
		}
		sid = c.sid
		h.cookies.Put(v, inst.ID+"|"+slug+"|"+sid, c.expires)
	}
	return h.ownerAlive(r.Context(), inst, sid)
}

// checkedCookie returns the owner's session of an app cookie whose signature was checked, if
// it was checked for inst and slug. The cache is keyed by the cookie alone, which is signed
// and names its instance and app: an entry holds "{instance id}|{slug}|{session id}".
func (h *Home) checkedCookie(v string, inst *tenants.Instance, slug string, now time.Time) (string, bool) {
	entry, ok := h.cookies.Get(v, now)
	if !ok {
		return "", false
	}
	rest, ok := strings.CutPrefix(entry, inst.ID)
	if !ok || !strings.HasPrefix(rest, "|") {
		return "", false
	}
	rest, ok = strings.CutPrefix(rest[1:], slug)
	if !ok || !strings.HasPrefix(rest, "|") {
		return "", false
	}
	return rest[1:], true
}

// StripAppCookie removes the app session cookie from a request before it goes to an app, and
// keeps the app's own cookies as the browser sent them.
func StripAppCookie(r *http.Request) {
	lines := r.Header["Cookie"]
	found := false
	for _, line := range lines {
		found = found || strings.Contains(line, AppCookie)
	}
	if !found {
		return
	}
	var kept []string
	for _, line := range lines {
		for part := range strings.SplitSeq(line, ";") {
			part = textproto.TrimString(part)
			name, _, _ := strings.Cut(part, "=")
			if name = textproto.TrimString(name); part == "" || name == AppCookie || name == "__Host-"+AppCookie {
				continue
			}
			kept = append(kept, part)
		}
	}
	if len(kept) == 0 {
		r.Header.Del("Cookie")
		return
	}
	r.Header["Cookie"] = []string{strings.Join(kept, "; ")}
}

// appToken renews an app page's token (the contract in instance/proxy's doc): the owner's
// session must be valid and the Origin exactly the app's.
func (h *Home) appToken(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Header("Vary", "Origin, Cookie")
	inst := h.cfg.Instance(c)
	slug := c.Param("slug")
	origin := h.cfg.AppOrigin(c.Request, inst, slug)
	if c.GetHeader("Origin") != origin {
		c.JSON(http.StatusUnauthorized, gin.H{"error": "unauthorized", "reason": "Only the app's own origin may renew its token."})
		return
	}
	c.Header("Access-Control-Allow-Origin", origin)
	c.Header("Access-Control-Allow-Credentials", "true")
	o, err := h.cfg.Owner(c.Request.Context(), inst)
	if err != nil {
		h.fail(c, nil, err)
		return
	}
	if _, err := o.Session(c.Request.Context(), web.Cookie(c.Request, SessionCookie)); err != nil {
		if !errors.Is(err, owner.ErrNoSession) {
			h.fail(c, nil, err)
			return
		}
		c.JSON(http.StatusUnauthorized, gin.H{"error": "unauthorized", "reason": "Log in to your Hearth again."})
		return
	}
	in, err := h.cfg.Apps.Get(c.Request.Context(), inst.ID, slug)
	if err != nil {
		c.JSON(http.StatusNotFound, gin.H{"error": "not_found", "reason": "No such app on this instance."})
		return
	}
	tok, exp, err := AppToken(inst, in.Slug, in.Scopes, AppTokenTTL)
	if err != nil {
		h.fail(c, nil, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"token": tok, "expires_at": exp.Unix()})
}

// AppToken issues the bearer token of an app: exactly its approved scopes, on its instance.
func AppToken(inst *tenants.Instance, slug string, scopes []string, ttl time.Duration) (string, time.Time, error) {
	now := time.Now()
	exp := now.Add(ttl)
	tok, err := auth.Issue(inst.Secret, auth.Claims{Instance: inst.ID, Scopes: scopes, Subject: "app:" + slug,
		Issued: now.Unix(), Expires: exp.Unix()})
	return tok, exp, err
}

// ownerAlive reports whether the owner's session sid is live, trusting a recent check.
func (h *Home) ownerAlive(ctx context.Context, inst *tenants.Instance, sid string) bool {
	now := time.Now()
	if _, ok := h.alive.Get(sid, now); ok {
		return true
	}
	o, err := h.cfg.Owner(ctx, inst)
	if err != nil {
		h.cfg.Log.Error("home: owner of an app session", "instance", inst.Domain, "err", err)
		return false
	}
	if _, err := o.SessionByID(ctx, sid); err != nil {
		if !errors.Is(err, owner.ErrNoSession) {
			h.cfg.Log.Error("home: check an app session", "instance", inst.Domain, "err", err)
		}
		return false
	}
	h.alive.Put(sid, struct{}{}, now.Add(aliveTTL))
	return true
}

// usedCodes remembers spent hand-off codes until they expire, so each works once.
type usedCodes struct {
	mu   sync.Mutex
	used map[string]time.Time // guarded by mu: nonce → expiry
}

const maxCodes = 100_000

func (u *usedCodes) use(nonce string, expires, now time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.used == nil {
		u.used = map[string]time.Time{}
	}
	if len(u.used) >= maxCodes {
		for n, exp := range u.used {
			if !now.Before(exp) {
				delete(u.used, n)
			}
		}
		if len(u.used) >= maxCodes {
			return false // flooded with live codes: refuse rather than forget one
		}
	}
	if _, spent := u.used[nonce]; spent {
		return false
	}
	u.used[nonce] = expires
	return true
}
