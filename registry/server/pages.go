package server

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/hearth-cloud/hearth/internal/expiring"
	"github.com/hearth-cloud/hearth/registry/store"
	"github.com/hearth-cloud/hearth/web"
)

// The registry's web pages: browse, an app's page, publisher accounts,
// submission and the publisher's dashboard. They are rendered on the
// server from web/registry; every form carries a CSRF token and is refused
// from another origin.

// pages serves the web pages of a Server.
type pages struct {
	s        *Server
	tpl      *web.Pages
	csrfKey  []byte
	sessions expiring.Map[int64] // hash of a session cookie → publisher id
}

// pageRoutes adds the web pages, their assets and the files (icon,
// screenshots) of an app to r.
func (s *Server) pageRoutes(r *gin.Engine) {
	tpl, err := web.LoadRegistry(s.log)
	if err != nil {
		panic(err) // the templates are embedded: a build error, not a runtime one
	}
	p := &pages{s: s, tpl: tpl, csrfKey: make([]byte, 32)}
	_, _ = rand.Read(p.csrfKey) // crypto/rand never fails
	r.GET("/", p.page(p.browse))
	r.GET("/apps/:slug", p.page(p.app))
	r.GET("/signup", p.page(p.signupForm))
	r.POST("/signup", p.form(p.signup))
	r.GET("/login", p.page(p.loginForm))
	r.POST("/login", p.form(p.login))
	r.POST("/logout", p.form(p.logout))
	r.GET("/submit", p.publisher(p.submitForm))
	r.POST("/submit", p.publisherForm(p.submit))
	r.GET("/dashboard", p.publisher(p.dashboard))
	r.POST("/dashboard/apps/:slug/refresh", p.publisherForm(p.owned(p.refresh)))
	r.POST("/dashboard/apps/:slug/deprecate", p.publisherForm(p.owned(p.deprecate)))
	r.POST("/dashboard/apps/:slug/undeprecate", p.publisherForm(p.owned(p.undeprecate)))
	r.POST("/dashboard/apps/:slug/versions/:version/yank", p.publisherForm(p.owned(p.yank)))
	r.POST("/dashboard/apps/:slug/advisories", p.publisherForm(p.owned(p.advisory)))
	r.GET("/assets/*file", gin.WrapH(http.StripPrefix("/assets", web.RegistryAssets())))
	r.GET("/api/v1/apps/:slug/files/*path", s.handle(s.appFile))
}

// preq is one page request, with its publisher when logged in.
type preq struct {
	c       *gin.Context
	pub     *store.Publisher // nil when logged out
	session string           // the session cookie, when logged in
}

// csrf returns the token of this request's forms: bound to the session, or
// before login to a random value in a cookie (set here when missing).
func (p *pages) csrf(q *preq) string {
	if q.pub != nil {
		return web.CSRFToken(p.csrfKey, q.session)
	}
	v := web.Cookie(q.c.Request, anonCookie)
	if v == "" {
		v = web.RandomValue()
		web.SetCookie(q.c.Writer, q.c.Request, anonCookie, v, 0)
		q.c.Request.AddCookie(&http.Cookie{Name: web.CookieName(q.c.Request, anonCookie), Value: v})
	}
	return web.CSRFToken(p.csrfKey, v)
}

// checkCSRF checks the posted token against the session or the anonymous cookie.
func (p *pages) checkCSRF(q *preq) bool {
	binding := web.Cookie(q.c.Request, anonCookie)
	if q.pub != nil {
		binding = q.session
	}
	return web.CheckCSRF(p.csrfKey, binding, q.c.PostForm("csrf"))
}

// render writes the page name with data.
func (p *pages) render(q *preq, status int, name, title string, data any, notice, msg string) {
	p.tpl.Render(q.c.Writer, status, name, web.View{Title: title, Instance: p.s.st.Origin().Name,
		LoggedIn: q.pub != nil, CSRF: p.csrf(q), Notice: notice, Error: msg, Data: data})
}

// page wraps the handler of a page anyone may ask for.
func (p *pages) page(h func(q *preq) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		q := &preq{c: c}
		err := p.session(q)
		if err == nil {
			err = h(q)
		}
		if err != nil {
			p.fail(q, err)
		}
	}
}

// crossOrigin refuses state-changing requests sent by another origin.
var crossOrigin = http.NewCrossOriginProtection()

var (
	errForbiddenForm = &httpError{status: http.StatusForbidden,
		msg: "This form expired or came from another site: reload the page and try again."}
	errLoggedOut = &httpError{status: http.StatusForbidden, msg: "You are logged out: log in and try again."}
)

// form wraps a POST handler: same origin only, with a valid CSRF token.
func (p *pages) form(h func(q *preq) error) gin.HandlerFunc {
	return p.page(func(q *preq) error {
		if err := crossOrigin.Check(q.c.Request); err != nil || !p.checkCSRF(q) {
			return errForbiddenForm
		}
		return h(q)
	})
}

// publisher wraps a page only a logged-in publisher sees; others are sent to log in.
func (p *pages) publisher(h func(q *preq) error) gin.HandlerFunc {
	return p.page(func(q *preq) error {
		if q.pub == nil {
			q.c.Redirect(http.StatusFound, "/login?next="+url.QueryEscape(q.c.Request.URL.RequestURI()))
			return nil
		}
		return h(q)
	})
}

// publisherForm is publisher for a POST handler.
func (p *pages) publisherForm(h func(q *preq) error) gin.HandlerFunc {
	return p.form(func(q *preq) error {
		if q.pub == nil {
			return errLoggedOut
		}
		return h(q)
	})
}

// owned requires that the app the path names be the publisher's, as the API does.
func (p *pages) owned(h func(q *preq, app *store.App) error) func(q *preq) error {
	return func(q *preq) error {
		return p.s.owned(func(_ *gin.Context, _ *store.Publisher, app *store.App) error {
			return h(q, app)
		})(q.c, q.pub)
	}
}

// fail answers a handler's error with a page whose text is safe to show.
func (p *pages) fail(q *preq, err error) {
	status, msg, _ := p.s.classify(err)
	if status == http.StatusInternalServerError {
		p.s.log.ErrorContext(q.c.Request.Context(), "registry: page failed",
			"method", q.c.Request.Method, "path", q.c.Request.URL.Path, "err", err)
	}
	heading := http.StatusText(status)
	if status == http.StatusNotFound {
		msg = "There is nothing here."
	}
	p.render(q, status, "message", heading, messageData{Heading: heading, Text: msg}, "", "")
}

type messageData struct{ Heading, Text, Back string }

// seeOther answers a form with a redirect (Post/Redirect/Get).
func seeOther(q *preq, path string) error {
	q.c.Redirect(http.StatusSeeOther, path)
	return nil
}

// localPath is next when it is a path of this site, else fallback.
func localPath(next, fallback string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, `\`+"\r\n") {
		return fallback
	}
	return next
}
