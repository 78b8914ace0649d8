package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/store"
)

func (s *Server) deprecate(c *gin.Context, _ *store.Publisher, app *store.App) error {
	var in entry.Deprecation
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	got, err := s.st.Deprecate(c.Request.Context(), app.ID, &in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewApp(got))
	return nil
}

func (s *Server) undeprecate(c *gin.Context, _ *store.Publisher, app *store.App) error {
	got, err := s.st.Deprecate(c.Request.Context(), app.ID, nil)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewApp(got))
	return nil
}

func (s *Server) yank(c *gin.Context, _ *store.Publisher, app *store.App) error {
	var in entry.Yank
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	v, err := s.st.Yank(c.Request.Context(), app.ID, c.Param("version"), in.Reason)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewVersion(v))
	return nil
}

func (s *Server) advisory(c *gin.Context, _ *store.Publisher, app *store.App) error {
	var in entry.Advisory
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	a, err := s.st.PutAdvisory(c.Request.Context(), app.ID, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, viewAdvisories([]store.Advisory{*a})[0])
	return nil
}
