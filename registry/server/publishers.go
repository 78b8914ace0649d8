package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/hearth-cloud/hearth/registry/store"
)

// ctxPublisher is where authed keeps the request's publisher.
const ctxPublisher = "hearth.publisher"

// credentials is the body of a sign-up or a token request.
type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

// readCredentials reads the body of a sign-up or a token request, throttled per address and email.
func (s *Server) readCredentials(c *gin.Context) (*credentials, error) {
	var in credentials
	if err := bindJSON(c, &in); err != nil {
		return nil, err
	}
	if err := s.throttle(c, in.Email); err != nil {
		return nil, err
	}
	return &in, nil
}

func (s *Server) signup(c *gin.Context) error {
	in, err := s.readCredentials(c)
	if err != nil {
		return err
	}
	p, token, err := s.st.CreatePublisher(c.Request.Context(), in.Email, in.Password, in.Name)
	if errors.Is(err, store.ErrExists) {
		return fail(http.StatusConflict, "a publisher with this email exists already")
	}
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, gin.H{"name": p.Name, "email": p.Email, "proof": p.Proof, "token": token})
	return nil
}

func (s *Server) createToken(c *gin.Context) error {
	in, err := s.readCredentials(c)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	p, err := s.st.Login(ctx, in.Email, in.Password)
	if err != nil {
		return err
	}
	token, err := s.st.CreateToken(ctx, p.ID, in.Name)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, gin.H{"token": token})
	return nil
}

func (s *Server) dashboard(c *gin.Context, p *store.Publisher) error {
	apps, err := s.st.AppsOf(c.Request.Context(), p.ID)
	if err != nil {
		return err
	}
	out := make([]appView, 0, len(apps))
	for i := range apps {
		out = append(out, viewOwnApp(&apps[i]))
	}
	c.JSON(http.StatusOK, gin.H{"name": p.Name, "email": p.Email, "proof": p.Proof, "apps": out})
	return nil
}

// authed requires a publisher's bearer token.
func (s *Server) authed(h func(c *gin.Context, p *store.Publisher) error) func(c *gin.Context) error {
	return func(c *gin.Context) error {
		token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		if !ok || token == "" {
			return fail(http.StatusUnauthorized, "a publisher token is required (Authorization: Bearer hrt_…)")
		}
		p, err := s.st.PublisherByToken(c.Request.Context(), strings.TrimSpace(token))
		if errors.Is(err, store.ErrNotFound) {
			return fail(http.StatusUnauthorized, "unknown token")
		}
		if err != nil {
			return err
		}
		c.Set(ctxPublisher, p)
		return h(c, p)
	}
}

// owned requires that the app of the request be the publisher's.
func (s *Server) owned(h func(c *gin.Context, p *store.Publisher, app *store.App) error) func(*gin.Context, *store.Publisher) error {
	return func(c *gin.Context, p *store.Publisher) error {
		app, err := s.st.App(c.Request.Context(), s.st.Origin().Key, c.Param("slug"))
		if err != nil {
			return err
		}
		if app.PublisherID != p.ID {
			return fail(http.StatusForbidden, "this app is not yours")
		}
		return h(c, p, app)
	}
}
