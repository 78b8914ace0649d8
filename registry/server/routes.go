package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// routes lists every route of the registry. Web pages, when added, go here too.
func (s *Server) routes() http.Handler {
	r, err := newEngine()
	if err != nil {
		panic(err) // SetTrustedProxies(nil) cannot fail
	}
	r.GET("/.well-known/hearth-registry", s.handle(s.wellKnown))
	r.GET("/archives/:file", s.handle(s.archive))
	r.POST("/hooks/:id", s.handle(s.webhook))

	api := r.Group("/api/v1")
	api.GET("/apps", s.handle(s.listApps))
	api.GET("/apps/:slug", s.handle(s.showApp))
	api.GET("/apps/:slug/versions", s.handle(s.listVersions))
	api.GET("/apps/:slug/latest", s.handle(s.latestVersion))
	api.GET("/apps/:slug/icon", s.handle(s.icon))
	api.GET("/changes", s.handle(s.changes))

	api.POST("/publishers", s.handle(s.signup))
	api.POST("/tokens", s.handle(s.createToken))
	api.GET("/publisher", s.handle(s.authed(s.dashboard)))

	api.POST("/apps", s.handle(s.authed(s.submit)))
	api.POST("/apps/:slug/refresh", s.handle(s.authed(s.owned(s.refresh))))
	api.POST("/apps/:slug/deprecate", s.handle(s.authed(s.owned(s.deprecate))))
	api.DELETE("/apps/:slug/deprecate", s.handle(s.authed(s.owned(s.undeprecate))))
	api.POST("/apps/:slug/versions/:version/yank", s.handle(s.authed(s.owned(s.yank))))
	api.POST("/apps/:slug/advisories", s.handle(s.authed(s.owned(s.advisory))))
	s.pageRoutes(r)

	r.NoRoute(func(c *gin.Context) { c.JSON(http.StatusNotFound, gin.H{"error": "no such endpoint"}) })
	r.NoMethod(func(c *gin.Context) { c.JSON(http.StatusMethodNotAllowed, gin.H{"error": "method not allowed"}) })
	return r
}
