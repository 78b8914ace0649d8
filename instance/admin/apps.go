package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hearth-cloud/hearth/instance/apps"
	"github.com/hearth-cloud/hearth/instance/tenants"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// AppView is what the admin API shows of an installed app.
type AppView struct {
	Slug        string             `json:"slug"`
	Name        string             `json:"name"`
	Version     string             `json:"version"`
	Kind        string             `json:"kind"`
	Source      apps.Source        `json:"source"`
	Commit      string             `json:"commit"`
	Scopes      []string           `json:"scopes"`
	Pending     *apps.Plan         `json:"pending,omitempty"`
	InstalledAt time.Time          `json:"installed_at"`
	UpdatedAt   time.Time          `json:"updated_at"`
	Removed     *apps.RemoveResult `json:"removed,omitempty"`
}

func appView(in *apps.Installed) AppView {
	v := AppView{Slug: in.Slug, Source: in.Source, Commit: in.Commit, Scopes: in.Scopes,
		Pending: in.Pending, InstalledAt: in.InstalledAt, UpdatedAt: in.UpdatedAt}
	if m, err := in.App(); err == nil {
		v.Name, v.Version, v.Kind = m.Name, m.Version, string(m.Kind)
	}
	return v
}

func (s *Server) appRoutes(r *gin.Engine) {
	r.GET("/instances/:domain/apps", s.wrap(s.listApps))
	r.POST("/instances/:domain/apps", s.wrap(s.prepareApp))
	r.POST("/instances/:domain/plans/:plan", s.wrap(s.acceptPlan))
	r.POST("/instances/:domain/apps/:slug/update", s.wrap(s.updateApp))
	r.DELETE("/instances/:domain/apps/:slug", s.wrap(s.removeApp))
}

// instanceID resolves the :domain of the path.
func (s *Server) instanceID(c *gin.Context) (string, error) {
	inst, err := s.Instances.Get(c.Request.Context(), c.Param("domain"))
	if err != nil {
		return "", err
	}
	return inst.ID, nil
}

// installed tells the runtime that an app version was installed on inst, so that it prepares
// it (a node app's dependencies); its failure is the owner's to see.
func (s *Server) installed(c *gin.Context, inst *tenants.Instance, in *apps.Installed) error {
	if s.AppInstalled == nil {
		return nil
	}
	if err := s.AppInstalled(c.Request.Context(), inst, in); err != nil {
		return fmt.Errorf("%w: %s was installed but cannot run: %w", errCannotRun, in.Slug, err)
	}
	return nil
}

var errCannotRun = errors.New("admin: app cannot run")

func (s *Server) listApps(c *gin.Context) error {
	id, err := s.instanceID(c)
	if err != nil {
		return err
	}
	list, err := s.Apps.List(c.Request.Context(), id)
	if err != nil {
		return err
	}
	out := make([]AppView, len(list))
	for i, in := range list {
		out[i] = appView(in)
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s *Server) prepareApp(c *gin.Context) error {
	var src apps.Source
	if err := c.ShouldBindJSON(&src); err != nil || src.URL == "" {
		return fmt.Errorf("%w: body must be {\"url\": \"https://…\", \"ref\": \"v1.0.0\"}", errBadRequest)
	}
	id, err := s.instanceID(c)
	if err != nil {
		return err
	}
	ctx, cancel := fetchContext(c)
	defer cancel()
	plan, err := s.Apps.Prepare(ctx, id, src)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, plan)
	return nil
}

// fetchContext bounds a request that fetches an app.
func fetchContext(c *gin.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request.Context(), 3*time.Minute)
}

func (s *Server) acceptPlan(c *gin.Context) error {
	inst, err := s.Instances.Get(c.Request.Context(), c.Param("domain"))
	if err != nil {
		return err
	}
	in, err := s.Apps.Accept(c.Request.Context(), inst.ID, c.Param("plan"))
	if err != nil {
		return err
	}
	if err := s.installed(c, inst, in); err != nil {
		return err
	}
	c.JSON(http.StatusCreated, appView(in))
	return nil
}

func (s *Server) updateApp(c *gin.Context) error {
	var body struct {
		Ref string `json:"ref"`
	}
	if c.Request.ContentLength > 0 {
		if err := c.ShouldBindJSON(&body); err != nil {
			return fmt.Errorf("%w: body must be {\"ref\": \"v1.1.0\"} or empty", errBadRequest)
		}
	}
	inst, err := s.Instances.Get(c.Request.Context(), c.Param("domain"))
	if err != nil {
		return err
	}
	ctx, cancel := fetchContext(c)
	defer cancel()
	res, err := s.Apps.Update(ctx, inst.ID, c.Param("slug"), body.Ref)
	if err != nil {
		return err
	}
	if res.Applied {
		if err := s.installed(c, inst, res.App); err != nil {
			return err
		}
	}
	c.JSON(http.StatusOK, res)
	return nil
}

func (s *Server) removeApp(c *gin.Context) error {
	inst, err := s.Instances.Get(c.Request.Context(), c.Param("domain"))
	if err != nil {
		return err
	}
	deleteData := c.Query("delete_data") == "true"
	res, err := s.Apps.Uninstall(c.Request.Context(), inst.ID, c.Param("slug"), deleteData, s.RemoveDoctype)
	if err != nil {
		return err
	}
	if s.AppRemoved != nil {
		s.AppRemoved(c.Request.Context(), inst, c.Param("slug"), deleteData)
	}
	c.JSON(http.StatusOK, AppView{Slug: c.Param("slug"), Removed: res})
	return nil
}

// appErrorStatus maps the installer's errors to a status and an error word; 0 when not one.
func appErrorStatus(err error) (int, string) {
	var ve *manifest.ValidationError
	switch {
	case errors.Is(err, apps.ErrNotInstalled):
		return http.StatusNotFound, "not_found"
	case errors.Is(err, apps.ErrNoPlan):
		return http.StatusNotFound, "not_found"
	case errors.Is(err, apps.ErrInstalled):
		return http.StatusConflict, "conflict"
	case errors.Is(err, apps.ErrManifest), errors.As(err, &ve):
		return http.StatusUnprocessableEntity, "invalid_manifest"
	case errors.Is(err, apps.ErrSource):
		return http.StatusBadRequest, "bad_source"
	case errors.Is(err, apps.ErrUntrusted):
		return http.StatusForbidden, "untrusted_registry"
	case errors.Is(err, apps.ErrBadRegistry):
		return http.StatusBadRequest, "bad_registry"
	case errors.Is(err, errCannotRun):
		return http.StatusUnprocessableEntity, "cannot_run"
	}
	return 0, ""
}
