package admin

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hearth-cloud/hearth/instance/auth"
	"github.com/hearth-cloud/hearth/instance/owner"
	"github.com/hearth-cloud/hearth/instance/tenants"
)

func (s *Server) listInstances(c *gin.Context) error {
	list := s.Instances.List()
	out := make([]InstanceView, len(list))
	for i, inst := range list {
		out[i] = view(inst)
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) addInstance(c *gin.Context) error {
	var body struct {
		Domain string `json:"domain"`
	}
	if err := c.ShouldBindJSON(&body); err != nil {
		return fmt.Errorf("%w: body must be {\"domain\": \"…\"}", errBadRequest)
	}
	inst, err := s.Instances.Add(c.Request.Context(), body.Domain)
	if err != nil {
		return err
	}
	v := view(inst)
	if s.FirstOnboarding != nil {
		link, exp, err := s.FirstOnboarding(c.Request.Context(), inst)
		if err != nil {
			return fmt.Errorf("instance %s added, but its onboarding link was not issued (ask for one again): %w", inst.Domain, err)
		}
		v.Onboarding = &Onboarding{URL: link, ExpiresAt: exp}
	}
	c.JSON(http.StatusCreated, v)
	return nil
}

// onboarding issues a new onboarding link; {"reset": true} first forgets the owner's
// passphrase and two-factor (a lost passphrase), which ends every session.
func (s *Server) onboarding(c *gin.Context) error {
	var body struct {
		Reset bool `json:"reset"`
	}
	if c.Request.ContentLength != 0 {
		if err := c.ShouldBindJSON(&body); err != nil {
			return fmt.Errorf("%w: body must be {\"reset\": true|false} or empty", errBadRequest)
		}
	}
	inst, err := s.Instances.Get(c.Request.Context(), c.Param("domain"))
	if err != nil {
		return err
	}
	if s.Onboarding == nil {
		return fmt.Errorf("%w: this runtime has no owner pages", errBadRequest)
	}
	link, exp, err := s.Onboarding(c.Request.Context(), inst, body.Reset)
	if errors.Is(err, owner.ErrAlreadyOnboarded) {
		return fmt.Errorf("%w: %s already has an owner passphrase; reset it to issue a new link", err, inst.Domain)
	}
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, Onboarding{URL: link, ExpiresAt: exp})
	return nil
}

func (s *Server) showInstance(c *gin.Context) error {
	inst, err := s.Instances.Get(c.Request.Context(), c.Param("domain"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, view(inst))
	return nil
}

func (s *Server) removeInstance(c *gin.Context) error {
	inst, err := s.Instances.Remove(c.Request.Context(), c.Param("domain"))
	if err != nil {
		return err
	}
	if err := s.Data.DestroyInstanceData(c.Request.Context(), inst); err != nil {
		return fmt.Errorf("instance %s removed but its data was not all destroyed: %w", inst.Domain, err)
	}
	c.JSON(http.StatusOK, gin.H{"ok": true, "domain": inst.Domain})
	return nil
}

// TokenRequest asks for a bearer token on an instance.
type TokenRequest struct {
	Scopes  []string `json:"scopes"`
	Subject string   `json:"subject,omitempty"`
	TTL     string   `json:"ttl,omitempty"` // a Go duration; empty: no expiry
}

func (s *Server) issueToken(c *gin.Context) error {
	var req TokenRequest
	if err := c.ShouldBindJSON(&req); err != nil {
		return fmt.Errorf("%w: body must be {\"scopes\": [\"io.hearth.notes:GET\", …]}", errBadRequest)
	}
	if len(req.Scopes) == 0 {
		return fmt.Errorf("%w: at least one scope is needed", errBadRequest)
	}
	scopes, err := auth.ParseScopes(req.Scopes)
	if err != nil {
		return err
	}
	inst, err := s.Instances.Get(c.Request.Context(), c.Param("domain"))
	if err != nil {
		return err
	}
	now := time.Now()
	claims := auth.Claims{Instance: inst.ID, Issued: now.Unix(), Subject: req.Subject}
	if claims.Subject == "" {
		claims.Subject = "cli"
	}
	for _, sc := range scopes {
		claims.Scopes = append(claims.Scopes, sc.String())
	}
	if req.TTL != "" {
		d, err := time.ParseDuration(req.TTL)
		if err != nil || d <= 0 {
			return fmt.Errorf("%w: ttl %q is not a positive duration such as 24h", errBadRequest, req.TTL)
		}
		claims.Expires = now.Add(d).Unix()
	}
	tok, err := auth.Issue(inst.Secret, claims)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, gin.H{"token": tok, "scopes": claims.Scopes})
	return nil
}

func (s *Server) setState(state string) func(*gin.Context) error {
	return func(c *gin.Context) error {
		inst, err := s.Instances.SetState(c.Request.Context(), c.Param("domain"), state)
		if err != nil {
			return err
		}
		c.JSON(http.StatusOK, view(inst))
		return nil
	}
}

var _ Instances = (*tenants.Registry)(nil)
