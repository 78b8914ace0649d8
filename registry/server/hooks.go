package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/hearth-cloud/hearth/registry/store"
)

// webhook takes a forge's push or tag event for one app, checks its
// signature with the app's webhook secret, and queues a re-index.
func (s *Server) webhook(c *gin.Context) error {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return err
	}
	app, err := s.st.AppByHook(c.Request.Context(), c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		return fail(http.StatusNotFound, "no such webhook")
	}
	if err != nil {
		return err
	}
	if !signedBy(c.Request.Header, body, app.HookSecret) {
		return fail(http.StatusUnauthorized, "bad or missing webhook signature")
	}
	if !pushEvent(c.Request.Header) {
		c.JSON(http.StatusAccepted, gin.H{"queued": false})
		return nil
	}
	s.queue.push(app.ID)
	c.JSON(http.StatusAccepted, gin.H{"queued": true})
	return nil
}

// signedBy checks the forges' ways of proving a hook: an HMAC-SHA256 of the
// body (GitHub's X-Hub-Signature-256 "sha256=<hex>", Gitea's and Forgejo's
// <hex>), or the secret itself (GitLab's X-Gitlab-Token).
func signedBy(h http.Header, body []byte, secret string) bool {
	if secret == "" {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	want := mac.Sum(nil)
	check := func(hexSig string) bool {
		got, err := hex.DecodeString(strings.TrimSpace(hexSig))
		return err == nil && hmac.Equal(got, want)
	}
	if v := h.Get("X-Hub-Signature-256"); v != "" {
		sig, ok := strings.CutPrefix(v, "sha256=")
		return ok && check(sig)
	}
	for _, name := range []string{"X-Gitea-Signature", "X-Forgejo-Signature"} {
		if v := h.Get(name); v != "" {
			return check(v)
		}
	}
	if v := h.Get("X-Gitlab-Token"); v != "" {
		return subtle.ConstantTimeCompare([]byte(v), []byte(secret)) == 1
	}
	return false
}

// pushEvent reports whether the event is a push or a new tag or branch.
func pushEvent(h http.Header) bool {
	for _, name := range []string{"X-GitHub-Event", "X-Gitea-Event", "X-Forgejo-Event", "X-Gogs-Event"} {
		switch h.Get(name) {
		case "push", "create":
			return true
		}
	}
	switch h.Get("X-Gitlab-Event") {
	case "Push Hook", "Tag Push Hook":
		return true
	}
	return false
}
