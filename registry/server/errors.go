package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/hearth-cloud/hearth/registry/gitsource"
	"github.com/hearth-cloud/hearth/registry/store"
)

// httpError is an error whose message is safe to show, with its status.
type httpError struct {
	status int
	msg    string
	extra  gin.H // more fields of the response, beside "error"
}

func (e *httpError) Error() string { return e.msg }

func fail(status int, format string, args ...any) error {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

// handle adapts a handler that returns an error: the error becomes a JSON
// response; only messages meant for people reach the client, the rest is logged.
func (s *Server) handle(h func(c *gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		err := h(c)
		if err == nil {
			return
		}
		status, msg, extra := s.classify(err)
		if status == http.StatusInternalServerError {
			s.log.ErrorContext(c.Request.Context(), "registry: request failed",
				"method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
		}
		body := gin.H{"error": msg}
		for k, v := range extra {
			body[k] = v
		}
		c.AbortWithStatusJSON(status, body)
	}
}

// classify maps err to a status and a message for people.
func (s *Server) classify(err error) (int, string, gin.H) {
	var he *httpError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		return he.status, he.msg, he.extra
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", MaxBodyBytes), nil
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "not found", nil
	case errors.Is(err, store.ErrExists):
		return http.StatusConflict, userText(err, store.ErrExists), nil
	case errors.Is(err, store.ErrLogin):
		return http.StatusUnauthorized, "wrong email or password", nil
	case errors.Is(err, store.ErrCursor):
		return http.StatusBadRequest, "cursor: not valid with these filters", nil
	case errors.Is(err, store.ErrInput):
		return http.StatusBadRequest, userText(err, store.ErrInput), nil
	case isRepositoryError(err):
		return http.StatusUnprocessableEntity, "repository refused: " + strings.TrimPrefix(err.Error(), "gitindex: "), nil
	}
	return http.StatusInternalServerError, "internal error; see the registry's log", nil
}

// userText is err's message without the sentinel's "store: …: " prefix.
func userText(err, sentinel error) string {
	msg := err.Error()
	if i := strings.Index(msg, sentinel.Error()+": "); i >= 0 {
		return msg[i+len(sentinel.Error())+2:]
	}
	return strings.TrimPrefix(msg, "store: ")
}

// isRepositoryError reports whether err is gitsource refusing a repository
// or failing to reach it: the submitter's to read.
func isRepositoryError(err error) bool {
	for _, e := range []error{gitsource.ErrURL, gitsource.ErrScheme, gitsource.ErrCredentials, gitsource.ErrHost,
		gitsource.ErrAddress, gitsource.ErrUnreachable, gitsource.ErrTimeout, gitsource.ErrRefNotFound,
		gitsource.ErrTooLarge, gitsource.ErrTooManyFiles, gitsource.ErrFileTooLarge, gitsource.ErrSubmodule,
		gitsource.ErrSymlink, gitsource.ErrLFS, gitsource.ErrPath} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// bindJSON decodes the request's JSON body into v, refusing unknown fields.
func bindJSON(c *gin.Context, v any) error {
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		if errors.Is(err, io.EOF) {
			return fail(http.StatusBadRequest, "a JSON body is required")
		}
		return fail(http.StatusBadRequest, "bad JSON body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}
