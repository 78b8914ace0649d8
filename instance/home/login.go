package home

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hearth-cloud/hearth/instance/owner"
	"github.com/hearth-cloud/hearth/web"
)

// index is the instance's root: the apps home for the owner, else onboarding or login.
func (h *Home) index(q *req) error {
	if q.session != nil {
		return h.appsHome(q)
	}
	st, err := q.owner.Status(q.ctx())
	if err != nil {
		return err
	}
	if !st.Onboarded {
		h.render(q, http.StatusOK, "welcome", q.view("Welcome", nil))
		return nil
	}
	redirectLogin(q)
	return nil
}

type onboardingData struct{ Token string }

func (h *Home) onboardingForm(q *req) error {
	st, err := q.owner.Status(q.ctx())
	if err != nil {
		return err
	}
	if st.Onboarded {
		return seeOther(q, "/login")
	}
	token := q.c.Query("token")
	if token == "" {
		h.render(q, http.StatusOK, "welcome", q.view("Welcome", nil))
		return nil
	}
	if err := q.owner.CheckOnboarding(q.ctx(), token); err != nil {
		if !errors.Is(err, owner.ErrBadToken) && !errors.Is(err, owner.ErrTokenExpired) {
			return err
		}
		v := q.view("Welcome", nil)
		v.Error = clean(err)
		h.render(q, http.StatusForbidden, "welcome", v)
		return nil
	}
	h.render(q, http.StatusOK, "onboarding", q.view("Welcome", onboardingData{Token: token}))
	return nil
}

func (h *Home) onboard(q *req) error {
	token, pass := q.c.PostForm("token"), q.c.PostForm("passphrase")
	again := func(status int, msg string) error {
		v := q.view("Welcome", onboardingData{Token: token})
		v.Error = msg
		h.render(q, status, "onboarding", v)
		return nil
	}
	if pass != q.c.PostForm("confirm") {
		return again(http.StatusBadRequest, "The two passphrases differ.")
	}
	err := q.owner.Onboard(q.ctx(), token, pass)
	switch {
	case errors.Is(err, owner.ErrAlreadyOnboarded):
		return seeOther(q, "/login")
	case errors.Is(err, owner.ErrBadToken), errors.Is(err, owner.ErrTokenExpired):
		v := q.view("Welcome", nil)
		v.Error = clean(err)
		h.render(q, http.StatusForbidden, "welcome", v)
		return nil
	case errors.Is(err, owner.ErrInvalidPassphrase):
		return again(http.StatusBadRequest, clean(err))
	case err != nil:
		return err
	}
	cookie, _, err := q.owner.Login(q.ctx(), pass, "", h.client(q))
	if err != nil {
		return err
	}
	startSession(q, cookie)
	return seeOther(q, "/")
}

type loginData struct {
	Next string
	TOTP bool
}

func (h *Home) loginForm(q *req) error {
	next := q.c.Query("next")
	if q.session != nil {
		return seeOther(q, h.afterLogin(q, next))
	}
	st, err := q.owner.Status(q.ctx())
	if err != nil {
		return err
	}
	if !st.Onboarded {
		return seeOther(q, "/")
	}
	h.render(q, http.StatusOK, "login", q.view("Log in", loginData{Next: next, TOTP: st.TOTP}))
	return nil
}

func (h *Home) login(q *req) error {
	next := q.c.PostForm("next")
	cookie, _, err := q.owner.Login(q.ctx(), q.c.PostForm("passphrase"), strings.TrimSpace(q.c.PostForm("code")), h.client(q))
	if err == nil {
		startSession(q, cookie)
		return seeOther(q, h.afterLogin(q, next))
	}
	var te *owner.ThrottledError
	status, msg := http.StatusUnauthorized, "Wrong passphrase or code."
	switch {
	case errors.Is(err, owner.ErrNotOnboarded):
		return seeOther(q, "/")
	case errors.As(err, &te):
		status, msg = userError(err)
		q.c.Header("Retry-After", retryAfter(te))
	case errors.Is(err, owner.ErrNeedsTOTP):
		msg = "Enter your passphrase and the code from your authenticator app."
	case errors.Is(err, owner.ErrBadPassphrase), errors.Is(err, owner.ErrBadCode):
	default:
		return err
	}
	st, serr := q.owner.Status(q.ctx())
	if serr != nil {
		return serr
	}
	v := q.view("Log in", loginData{Next: next, TOTP: st.TOTP})
	v.Error = msg
	h.render(q, status, "login", v)
	return nil
}

func (h *Home) logout(q *req) error {
	if q.cookie != "" {
		if err := q.owner.Logout(q.ctx(), q.cookie); err != nil {
			return err
		}
		h.forgetSession(q.session.ID)
	}
	web.SetCookie(q.c.Writer, q.c.Request, SessionCookie, "", -1)
	return seeOther(q, "/login")
}

// startSession sets the session cookie: it lasts as long as a session can.
func startSession(q *req, cookie string) {
	web.SetCookie(q.c.Writer, q.c.Request, SessionCookie, cookie, owner.DefaultSessionMax)
}

// client is who logs in, for the throttle and the list of sessions.
func (h *Home) client(q *req) owner.ClientInfo {
	return owner.ClientInfo{Addr: q.c.ClientIP(), UserAgent: q.c.Request.UserAgent()}
}

// afterLogin is where a login goes next: a path on the instance, or an app's page (through
// the hand-off that opens the app's own session). Anything else goes home.
func (h *Home) afterLogin(q *req, next string) string {
	if next == "" {
		return "/"
	}
	if localPath(next) {
		return next
	}
	u, err := url.Parse(next)
	if err != nil || u.User != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "/"
	}
	if slug, ok := h.cfg.IsAppHost(q.inst, u.Host); ok {
		return "/apps/" + slug + "/open?next=" + url.QueryEscape(next)
	}
	return "/"
}

// localPath reports whether p is a path on this origin (not "//host" nor "/\host").
func localPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.HasPrefix(p, `/\`) &&
		!strings.ContainsAny(p, "\r\n")
}

func retryAfter(te *owner.ThrottledError) string {
	s := int(te.RetryAfter.Seconds() + 0.999)
	if s < 1 {
		s = 1
	}
	return strconv.Itoa(s)
}
