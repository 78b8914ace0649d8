package server

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/hearth-cloud/hearth/registry/store"
	"github.com/hearth-cloud/hearth/web"
)

// Publisher sessions of the pages are kept in memory: a random cookie
// names one, the server holds the publisher it belongs to until it
// expires or the publisher logs out (a restart logs everyone out).
const (
	sessionCookie = "registry_session" // the session (with __Host- over TLS)
	anonCookie    = "registry_anon"    // binds the CSRF token of a logged-out browser
	sessionTTL    = 12 * time.Hour
)

// session looks up the request's publisher from its session cookie.
func (p *pages) session(q *preq) error {
	cookie := web.Cookie(q.c.Request, sessionCookie)
	if cookie == "" {
		return nil
	}
	id, ok := p.sessions.Get(sessionKey(cookie), time.Now())
	if !ok {
		return nil
	}
	pub, err := p.s.st.PublisherByID(q.c.Request.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	q.pub, q.session = pub, cookie
	return nil
}

// startSession logs the browser in as pub with a new session.
func (p *pages) startSession(q *preq, pub *store.Publisher) {
	if q.session != "" {
		p.sessions.Forget(sessionKey(q.session))
	}
	cookie := web.RandomValue()
	p.sessions.Put(sessionKey(cookie), pub.ID, time.Now().Add(sessionTTL))
	web.SetCookie(q.c.Writer, q.c.Request, sessionCookie, cookie, sessionTTL)
	q.pub, q.session = pub, cookie
}

// sessionKey is what the server keeps of a session cookie.
func sessionKey(cookie string) string {
	h := sha256.Sum256([]byte(cookie))
	return hex.EncodeToString(h[:])
}

type accountForm struct {
	Name, Email, Next string
	MinPassword       int
}

func (p *pages) signupForm(q *preq) error {
	p.render(q, http.StatusOK, "signup", "Sign up", accountForm{MinPassword: store.MinPasswordLen}, "", "")
	return nil
}

func (p *pages) signup(q *preq) error {
	c := q.c
	in := accountForm{Name: c.PostForm("name"), Email: c.PostForm("email"), MinPassword: store.MinPasswordLen}
	again := func(err error) error {
		status, msg, _ := p.s.classify(err)
		if status == http.StatusInternalServerError {
			return err
		}
		p.render(q, status, "signup", "Sign up", in, "", msg)
		return nil
	}
	if err := p.s.throttle(c, in.Email); err != nil {
		return again(err)
	}
	pub, _, err := p.s.st.CreatePublisher(c.Request.Context(), in.Email, c.PostForm("password"), in.Name)
	if errors.Is(err, store.ErrExists) {
		return again(fail(http.StatusConflict, "a publisher with this email exists already"))
	}
	if err != nil {
		return again(err)
	}
	p.startSession(q, pub)
	return seeOther(q, "/submit")
}

func (p *pages) loginForm(q *preq) error {
	next := localPath(q.c.Query("next"), "/dashboard")
	if q.pub != nil {
		q.c.Redirect(http.StatusFound, next)
		return nil
	}
	p.render(q, http.StatusOK, "login", "Log in", accountForm{Next: next}, "", "")
	return nil
}

func (p *pages) login(q *preq) error {
	c := q.c
	in := accountForm{Email: c.PostForm("email"), Next: localPath(c.PostForm("next"), "/dashboard")}
	err := p.s.throttle(c, in.Email)
	var pub *store.Publisher
	if err == nil {
		pub, err = p.s.st.Login(c.Request.Context(), in.Email, c.PostForm("password"))
	}
	if err != nil {
		status, msg, _ := p.s.classify(err)
		if status == http.StatusInternalServerError {
			return err
		}
		p.render(q, status, "login", "Log in", in, "", msg)
		return nil
	}
	p.startSession(q, pub)
	return seeOther(q, in.Next)
}

func (p *pages) logout(q *preq) error {
	if q.session != "" {
		p.sessions.Forget(sessionKey(q.session))
	}
	web.SetCookie(q.c.Writer, q.c.Request, sessionCookie, "", -1)
	return seeOther(q, "/")
}
