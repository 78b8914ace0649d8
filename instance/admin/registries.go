package admin

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hearth-cloud/hearth/instance/apps"
)

// RegistrySettings keeps the registries each instance trusts: its own list, when it has one,
// replaces the runtime's.
type RegistrySettings interface {
	apps.Trust
	Own(ctx context.Context, instanceID string) ([]apps.Registry, bool, error)
	SetOwn(ctx context.Context, instanceID string, list []apps.Registry) error
}

var _ RegistrySettings = (*apps.TrustStore)(nil)

// RegistriesView is what an instance trusts.
type RegistriesView struct {
	// Registries are the registries the instance trusts, in priority order.
	Registries []apps.Registry `json:"registries"`
	// Own tells whether they are the instance's own list (else the runtime's).
	Own bool `json:"own"`
}

func (s *Server) registryRoutes(r *gin.Engine) {
	r.GET("/instances/:domain/registries", s.wrap(s.showRegistries))
	r.PUT("/instances/:domain/registries", s.wrap(s.setRegistries))
	r.DELETE("/instances/:domain/registries", s.wrap(s.clearRegistries))
	r.POST("/instances/:domain/apps/update-all", s.wrap(s.updateAll))
	r.POST("/instances/:domain/apps/from-registry", s.wrap(s.prepareFromRegistry))
}

func (s *Server) registriesView(c *gin.Context, id string) error {
	own, ok, err := s.Registries.Own(c.Request.Context(), id)
	if err != nil {
		return err
	}
	if !ok {
		if own, err = s.Registries.Registries(c.Request.Context(), id); err != nil {
			return err
		}
	}
	if own == nil {
		own = []apps.Registry{}
	}
	c.JSON(http.StatusOK, RegistriesView{Registries: own, Own: ok})
	return nil
}

func (s *Server) showRegistries(c *gin.Context) error {
	id, err := s.instanceID(c)
	if err != nil {
		return err
	}
	return s.registriesView(c, id)
}

// setRegistries replaces the instance's own list: {"registries": [{"url": …, "key": …}, …]}.
// An empty list trusts no registry at all; DELETE goes back to the runtime's.
func (s *Server) setRegistries(c *gin.Context) error {
	var body struct {
		Registries []apps.Registry `json:"registries"`
	}
	if err := c.ShouldBindJSON(&body); err != nil || body.Registries == nil {
		return fmt.Errorf("%w: body must be {\"registries\": [{\"url\": \"https://…\", \"key\": \"ed25519:…\"}, …]}", errBadRequest)
	}
	id, err := s.instanceID(c)
	if err != nil {
		return err
	}
	if err := s.Registries.SetOwn(c.Request.Context(), id, body.Registries); err != nil {
		return err
	}
	return s.registriesView(c, id)
}

func (s *Server) clearRegistries(c *gin.Context) error {
	id, err := s.instanceID(c)
	if err != nil {
		return err
	}
	if err := s.Registries.SetOwn(c.Request.Context(), id, nil); err != nil {
		return err
	}
	return s.registriesView(c, id)
}

// UpdateAllView is what "update all" did, app by app.
type UpdateAllView struct {
	Outcomes []apps.Outcome `json:"outcomes"`
}

// updateAll updates every app of the instance that needs no approval, and lists the others.
func (s *Server) updateAll(c *gin.Context) error {
	inst, err := s.Instances.Get(c.Request.Context(), c.Param("domain"))
	if err != nil {
		return err
	}
	ctx, cancel := fetchContext(c)
	defer cancel()
	out, err := s.Apps.UpdateAll(ctx, inst.ID)
	if err != nil {
		return err
	}
	for i, o := range out {
		if o.App == nil {
			continue
		}
		if err := s.installed(c, inst, o.App); err != nil {
			out[i].Status, out[i].Error = apps.OutcomeFailed, err.Error()
		}
	}
	c.JSON(http.StatusOK, UpdateAllView{Outcomes: out})
	return nil
}

// prepareFromRegistry returns the plan of installing an app from a trusted registry.
func (s *Server) prepareFromRegistry(c *gin.Context) error {
	var ref apps.StoreRef
	if err := c.ShouldBindJSON(&ref); err != nil || ref.Registry == "" || ref.Slug == "" {
		return fmt.Errorf("%w: body must be {\"registry\": \"https://…\", \"slug\": \"notes\", \"origin\": \"ed25519:…\", \"channel\": \"stable\"}", errBadRequest)
	}
	id, err := s.instanceID(c)
	if err != nil {
		return err
	}
	ctx, cancel := fetchContext(c)
	defer cancel()
	plan, err := s.Apps.PrepareFromRegistry(ctx, id, ref)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, plan)
	return nil
}
