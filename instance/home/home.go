// Package home serves the owner's pages on the instance's own origin: onboarding, login and
// logout, settings (passphrase, two-factor, sessions, devices), the consent page of a device
// connecting through OAuth (authorize.go), the apps home (install from a Git URL
// behind a permission prompt, update, remove, state and logs), the store (the apps of the
// registries the instance trusts, installed in one click behind the same prompt, and what the
// registries say of the installed ones), and the hand-off that gives an app's origin its own
// session (see appsession.go). Pages are rendered server-side from web/; every form carries a
// CSRF token bound to the session, and cross-origin posts are refused.
package home

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hearth-cloud/hearth/instance/apps"
	"github.com/hearth-cloud/hearth/instance/devices"
	"github.com/hearth-cloud/hearth/instance/owner"
	"github.com/hearth-cloud/hearth/instance/tenants"
	"github.com/hearth-cloud/hearth/internal/expiring"
	"github.com/hearth-cloud/hearth/web"
)

// Cookie base names (web.CookieName adds the __Host- prefix over TLS).
const (
	SessionCookie = "hearth_session" // the owner's session, on the instance's origin only
	AppCookie     = "hearth_app"     // an app origin's session, on that origin only
	anonCookie    = "hearth_csrf"    // binds the CSRF token of forms shown before login
)

// AppState is what the home page shows of a running app (node apps).
type AppState struct {
	State    string // stopped, starting, running, backoff, failed
	Message  string // why it failed, safe to show
	PID      int
	Restarts int
	Limits   string
}

// Runner is the part of the app controller the pages use. It may be nil (no node apps).
type Runner interface {
	State(instance, slug string) AppState
	Logs(instance, slug string) string
}

// Config is what the pages need from the runtime.
type Config struct {
	Pages *web.Pages
	// Instance returns the instance the request's Host resolved to.
	Instance func(c *gin.Context) *tenants.Instance
	// Owner returns the owner of an instance.
	Owner func(ctx context.Context, inst *tenants.Instance) (*owner.Owner, error)
	Apps  *apps.Service
	// Devices are the devices the owner approved, and the approvals (OAuth).
	Devices *devices.Service
	// Installed is called after an app was installed or updated (the controller builds a node
	// app's dependencies there); its error is shown to the owner.
	Installed func(ctx context.Context, inst *tenants.Instance, in *apps.Installed) error
	// Removed is called after an app was uninstalled.
	Removed func(ctx context.Context, inst *tenants.Instance, slug string, deleteData bool)
	// RemoveDoctype destroys a doctype's data, for uninstalls that delete it.
	RemoveDoctype apps.DataRemover
	Runner        Runner
	// AppOrigin returns the origin ("http://notes.alice.example") of an app of inst.
	AppOrigin func(r *http.Request, inst *tenants.Instance, slug string) string
	// IsAppHost reports the app slug whose origin host is, when it is one of inst's apps' hosts.
	IsAppHost func(inst *tenants.Instance, host string) (slug string, ok bool)
	Log       *slog.Logger
}

// Home serves the pages. Build it with New.
type Home struct {
	cfg     Config
	alive   expiring.Map[struct{}] // owner sessions recently found live, by id
	codes   usedCodes
	cookies expiring.Map[string] // app session cookies whose signature was checked → owner session id
	ended   atomic.Uint64        // counts the times owner sessions were ended here
}

// SessionsEnded changes whenever owner sessions are ended on this runtime (logout, passphrase
// change, revocation): a caller that keeps the result of AppGate keeps it only while this
// stays the same.
func (h *Home) SessionsEnded() uint64 { return h.ended.Load() }

// forgetSession forgets a live owner session that ended.
func (h *Home) forgetSession(id string) {
	h.alive.Forget(id)
	h.ended.Add(1)
}

// New returns the pages of cfg.
func New(cfg Config) *Home {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Home{cfg: cfg}
}

// Routes mounts the pages on r (the instance origin's router).
func (h *Home) Routes(r gin.IRoutes) {
	r.GET("/", h.page(h.index))
	r.GET("/onboarding", h.page(h.onboardingForm))
	r.POST("/onboarding", h.form(h.onboard))
	r.GET("/login", h.page(h.loginForm))
	r.POST("/login", h.form(h.login))
	r.POST("/logout", h.form(h.logout))
	r.GET("/settings", h.owner(h.settings))
	r.POST("/settings/passphrase", h.ownerForm(h.changePassphrase))
	r.POST("/settings/totp", h.ownerForm(h.beginTOTP))
	r.POST("/settings/totp/confirm", h.ownerForm(h.confirmTOTP))
	r.POST("/settings/totp/disable", h.ownerForm(h.disableTOTP))
	r.POST("/settings/recovery-codes", h.ownerForm(h.recoveryCodes))
	r.POST("/settings/sessions/:id/revoke", h.ownerForm(h.revokeSession))
	r.POST("/settings/devices/:id/revoke", h.ownerForm(h.revokeDevice))
	r.GET(devices.AuthorizePath, h.page(h.authorizeForm))
	r.POST(devices.AuthorizePath, h.ownerForm(h.authorize))
	r.POST("/apps/install", h.ownerForm(h.install))
	r.POST("/apps/update-all", h.ownerForm(h.updateAll))
	r.GET("/store", h.owner(h.store))
	r.GET("/store/icon", h.owner(h.storeIcon))
	r.POST("/store/install", h.ownerForm(h.storeInstall))
	r.GET("/apps/plans/:plan", h.owner(h.showPlan))
	r.POST("/apps/plans/:plan", h.ownerForm(h.acceptPlan))
	r.GET("/apps/:slug", h.owner(h.appDetails))
	r.GET("/apps/:slug/icon", h.owner(h.appIcon))
	r.POST("/apps/:slug/update", h.ownerForm(h.update))
	r.POST("/apps/:slug/remove", h.ownerForm(h.remove))
	r.GET("/apps/:slug/open", h.page(h.openApp))
	r.GET("/apps/:slug/token", h.appToken)
	r.GET("/assets/*file", gin.WrapH(http.StripPrefix("/assets", web.Assets())))
}

// req is one page request: its instance, owner and, once checked, session.
type req struct {
	c       *gin.Context
	inst    *tenants.Instance
	owner   *owner.Owner
	session *owner.SessionInfo // nil when not logged in
	cookie  string             // the session cookie, when logged in
}

func (q *req) ctx() context.Context { return q.c.Request.Context() }

// csrfKey is the instance's key for CSRF tokens.
func csrfKey(inst *tenants.Instance) []byte {
	m := hmac.New(sha256.New, inst.Secret)
	m.Write([]byte("hearth-pages-csrf"))
	return m.Sum(nil)
}

// csrf returns the CSRF token of this request's forms: bound to the session, or before login
// to a random value in a cookie (set here when missing).
func (q *req) csrf() string {
	if q.session != nil {
		return web.CSRFToken(csrfKey(q.inst), q.session.ID)
	}
	v := web.Cookie(q.c.Request, anonCookie)
	if v == "" {
		v = web.RandomValue()
		web.SetCookie(q.c.Writer, q.c.Request, anonCookie, v, 0)
		q.c.Request.AddCookie(&http.Cookie{Name: web.CookieName(q.c.Request, anonCookie), Value: v})
	}
	return web.CSRFToken(csrfKey(q.inst), v)
}

// checkCSRF checks the posted token against the session or the anonymous cookie.
func (q *req) checkCSRF() bool {
	binding := web.Cookie(q.c.Request, anonCookie)
	if q.session != nil {
		binding = q.session.ID
	}
	return web.CheckCSRF(csrfKey(q.inst), binding, q.c.PostForm("csrf"))
}

// view is the View of a page of this request.
func (q *req) view(title string, data any) web.View {
	return web.View{Title: title, Instance: q.inst.Domain, LoggedIn: q.session != nil, CSRF: q.csrf(), Data: data}
}

func (h *Home) render(q *req, status int, page string, v web.View) {
	h.cfg.Pages.Render(q.c.Writer, status, page, v)
}

// newReq resolves the instance's owner and the session, if any.
func (h *Home) newReq(c *gin.Context) (*req, error) {
	q := &req{c: c, inst: h.cfg.Instance(c)}
	o, err := h.cfg.Owner(c.Request.Context(), q.inst)
	if err != nil {
		return nil, err
	}
	q.owner = o
	if cookie := web.Cookie(c.Request, SessionCookie); cookie != "" {
		s, err := o.Session(c.Request.Context(), cookie)
		switch {
		case err == nil:
			q.session, q.cookie = &s, cookie
		case !errors.Is(err, owner.ErrNoSession):
			return nil, err
		}
	}
	return q, nil
}

// page wraps a handler of a page anyone may ask for.
func (h *Home) page(f func(q *req) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		q, err := h.newReq(c)
		if err == nil {
			err = f(q)
		}
		if err != nil {
			h.fail(c, q, err)
		}
	}
}

// form wraps a POST handler: same-origin only, with a valid CSRF token.
func (h *Home) form(f func(q *req) error) gin.HandlerFunc {
	return h.page(func(q *req) error {
		if err := crossOrigin.Check(q.c.Request); err != nil || !q.checkCSRF() {
			return errForbiddenForm
		}
		return f(q)
	})
}

// owner wraps a page only the logged-in owner sees; others are sent to the login page.
func (h *Home) owner(f func(q *req) error) gin.HandlerFunc {
	return h.page(func(q *req) error {
		if q.session == nil {
			redirectLogin(q)
			return nil
		}
		return f(q)
	})
}

// ownerForm is owner for a POST handler.
func (h *Home) ownerForm(f func(q *req) error) gin.HandlerFunc {
	return h.form(func(q *req) error {
		if q.session == nil {
			return errLoggedOut
		}
		return f(q)
	})
}

// crossOrigin refuses state-changing requests sent by another origin (app origins included),
// from the Sec-Fetch-Site and Origin headers.
var crossOrigin = http.NewCrossOriginProtection()

func redirectLogin(q *req) {
	q.c.Redirect(http.StatusFound, "/login?next="+url.QueryEscape(q.c.Request.URL.RequestURI()))
}

// seeOther answers a form with a redirect to path (Post/Redirect/Get).
func seeOther(q *req, path string) error {
	q.c.Redirect(http.StatusSeeOther, path)
	return nil
}

// message renders a short page with a heading, a text and a way back.
func (h *Home) message(q *req, status int, heading, text, back string) error {
	h.render(q, status, "message", q.view(heading, messageData{Heading: heading, Text: text, Back: back}))
	return nil
}

type messageData struct{ Heading, Text, Back, BackLabel string }

var (
	errForbiddenForm = errors.New("home: this form expired or came from another site: reload the page and try again")
	errLoggedOut     = errors.New("home: you are logged out: log in and try again")
)

// fail answers a handler's error with a page whose text is safe to show.
func (h *Home) fail(c *gin.Context, q *req, err error) {
	status, text := userError(err)
	if status == http.StatusInternalServerError {
		h.cfg.Log.ErrorContext(c.Request.Context(), "home: request failed", "path", c.Request.URL.Path, "err", err)
	}
	if q == nil || c.Writer.Written() {
		if !c.Writer.Written() {
			c.String(status, text)
		}
		return
	}
	_ = h.message(q, status, http.StatusText(status), text, "")
}

// userError maps err to a status and a message for the owner.
func userError(err error) (int, string) {
	var te *owner.ThrottledError
	switch {
	case errors.As(err, &te):
		return http.StatusTooManyRequests, "Too many failed attempts. Try again in " + te.RetryAfter.Round(time.Second).String() + "."
	case errors.Is(err, errForbiddenForm), errors.Is(err, errLoggedOut):
		return http.StatusForbidden, clean(err)
	case errors.Is(err, apps.ErrNotInstalled), errors.Is(err, apps.ErrNoPlan):
		return http.StatusNotFound, clean(err)
	case errors.Is(err, apps.ErrInstalled), errors.Is(err, apps.ErrManifest), errors.Is(err, apps.ErrSource), errors.Is(err, errBuild),
		errors.Is(err, apps.ErrUntrusted), errors.Is(err, apps.ErrBadRegistry):
		return http.StatusUnprocessableEntity, clean(err)
	}
	return http.StatusInternalServerError, "Something went wrong on the server. The runtime's log has the details."
}

// clean turns a package-prefixed error into a sentence.
func clean(err error) string { return cleanText(err.Error()) }

// cleanText turns a package-prefixed error message into a sentence.
func cleanText(s string) string {
	for _, p := range []string{"home: ", "apps: ", "gitsource: ", "manifest: ", "owner: ", "client: ", "entry: ", "archive: "} {
		s = strings.ReplaceAll(s, p, "")
	}
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

var errBuild = errors.New("home: the app was installed but cannot run")
