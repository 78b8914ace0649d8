package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hearth-cloud/hearth/instance/search"
)

// Reindexer rebuilds the search index of an instance, first recording its locale when one is
// given.
type Reindexer interface {
	Reindex(ctx context.Context, instanceID string, locale *string) (*search.ReindexResult, error)
}

// ReindexRequest is the body of POST /instances/{domain}/search/reindex; it may be empty.
type ReindexRequest struct {
	// Locale, when set, becomes the instance's locale ("fr", "pt-BR"; "" for none) and picks
	// the new index's analyzer.
	Locale *string `json:"locale,omitempty"`
}

func (s *Server) searchRoutes(r *gin.Engine) {
	r.POST("/instances/:domain/search/reindex", s.wrap(s.reindex))
}

// reindex rebuilds the instance's index beside the one in use, which keeps answering until
// the swap; it answers when done.
func (s *Server) reindex(c *gin.Context) error {
	var body ReindexRequest
	if c.Request.ContentLength != 0 {
		if err := c.ShouldBindJSON(&body); err != nil {
			return fmt.Errorf("%w: body must be empty or {\"locale\": \"fr\"}", errBadRequest)
		}
	}
	id, err := s.instanceID(c)
	if err != nil {
		return err
	}
	res, err := s.Search.Reindex(c.Request.Context(), id, body.Locale)
	switch {
	case errors.Is(err, search.ErrBadRequest):
		c.JSON(http.StatusBadRequest, gin.H{"error": "bad_request", "reason": search.Reason(err)})
		return nil
	case errors.Is(err, search.ErrReindexing):
		c.JSON(http.StatusConflict, gin.H{"error": "conflict", "reason": "A reindex of this instance is already running."})
		return nil
	case err != nil:
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}

// Reindex rebuilds an instance's search index (locale nil: keep the instance's). It waits for
// the end, bounded by ctx only.
func (c *Client) Reindex(ctx context.Context, domain string, locale *string) (search.ReindexResult, error) {
	var out search.ReindexResult
	long := *c
	if long.HTTP == nil {
		long.HTTP = &http.Client{}
	}
	err := long.do(ctx, http.MethodPost, instancePath(domain, "/search/reindex"), ReindexRequest{Locale: locale}, &out)
	return out, err
}
