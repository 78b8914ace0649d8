// Package admin is the runtime's admin API, served on its own listener behind a secret, and the
// client the hearth CLI uses to call it.
package admin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hearth-cloud/hearth/instance/apps"
	"github.com/hearth-cloud/hearth/instance/auth"
	"github.com/hearth-cloud/hearth/instance/owner"
	"github.com/hearth-cloud/hearth/instance/tenants"
)

// SecretFile is the name, in the data directory, of the file holding the admin secret.
const SecretFile = "admin.secret"

// LoadOrCreateSecret returns the admin secret kept in dataDir, generating it on first start.
func LoadOrCreateSecret(dataDir string) (string, error) {
	path := filepath.Join(dataDir, SecretFile)
	if b, err := os.ReadFile(path); err == nil {
		if s := strings.TrimSpace(string(b)); len(s) >= 32 {
			return s, nil
		}
		return "", fmt.Errorf("admin: %s is too short to be a secret; delete it to generate a new one", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("admin: read secret: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("admin: %w", err)
	}
	secret := hex.EncodeToString(raw)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("admin: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("admin: write secret: %w", err)
	}
	if _, err := f.WriteString(secret + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("admin: write secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("admin: write secret: %w", err)
	}
	return secret, nil
}

// Instances is what the admin API needs of the instance registry.
type Instances interface {
	Add(ctx context.Context, domain string) (*tenants.Instance, error)
	Get(ctx context.Context, domain string) (*tenants.Instance, error)
	List() []*tenants.Instance
	Remove(ctx context.Context, domain string) (*tenants.Instance, error)
	SetState(ctx context.Context, domain, state string) (*tenants.Instance, error)
}

// DataRemover destroys everything an instance had on the runtime: its apps' processes, homes
// and users, its databases and its search index.
type DataRemover interface {
	DestroyInstanceData(ctx context.Context, inst *tenants.Instance) error
}

// Server serves the admin API.
type Server struct {
	Secret    string
	Instances Instances
	Data      DataRemover
	Apps      *apps.Service
	// RemoveDoctype destroys one doctype of an instance, when an uninstall asks for it.
	RemoveDoctype apps.DataRemover
	// Onboarding issues the one-time link that lets its holder set the owner's passphrase of an
	// instance (reset: forget the current passphrase and two-factor first).
	Onboarding func(ctx context.Context, inst *tenants.Instance, reset bool) (link string, expires time.Time, err error)
	// FirstOnboarding issues the link given when an instance is created.
	FirstOnboarding func(ctx context.Context, inst *tenants.Instance) (link string, expires time.Time, err error)
	// AppInstalled prepares an installed or updated app to run; AppRemoved lets go of it.
	AppInstalled func(ctx context.Context, inst *tenants.Instance, in *apps.Installed) error
	AppRemoved   func(ctx context.Context, inst *tenants.Instance, slug string, deleteData bool)
	// Registries keeps the registries each instance trusts.
	Registries RegistrySettings
	Log        *slog.Logger

	// Search rebuilds instances' search indexes (nil: no search routes).
	Search Reindexer
}

// Handler returns the admin API's routes.
func (s *Server) Handler() http.Handler {
	r := gin.New()
	r.Use(gin.Recovery(), s.requireSecret)
	r.GET("/health", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"ok": true}) })
	r.GET("/instances", s.wrap(s.listInstances))
	r.POST("/instances", s.wrap(s.addInstance))
	r.GET("/instances/:domain", s.wrap(s.showInstance))
	r.DELETE("/instances/:domain", s.wrap(s.removeInstance))
	r.POST("/instances/:domain/tokens", s.wrap(s.issueToken))
	r.POST("/instances/:domain/onboarding", s.wrap(s.onboarding))
	r.POST("/instances/:domain/block", s.wrap(s.setState(tenants.StateBlocked)))
	r.POST("/instances/:domain/unblock", s.wrap(s.setState(tenants.StateActive)))
	s.appRoutes(r)
	if s.Registries != nil {
		s.registryRoutes(r)
	}
	if s.Search != nil {
		s.searchRoutes(r)
	}
	// Profiles of the running runtime, behind the same secret.
	r.GET("/debug/pprof/*name", gin.WrapF(pprofHandler))
	r.NoRoute(func(c *gin.Context) {
		c.JSON(http.StatusNotFound, gin.H{"error": "not_found", "reason": "No such admin endpoint."})
	})
	return r
}

func (s *Server) requireSecret(c *gin.Context) {
	tok, ok := auth.Bearer(c.GetHeader("Authorization"))
	if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(s.Secret)) != 1 {
		c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "unauthorized", "reason": "The admin secret is required (Authorization: Bearer <secret>)."})
		return
	}
	c.Next()
}

// wrap adapts a handler returning an error; errors become JSON with the matching status.
func (s *Server) wrap(h func(*gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			status, kind := http.StatusInternalServerError, "internal_error"
			reason := "The runtime failed; see its log."
			if st, k := appErrorStatus(err); st != 0 {
				c.JSON(st, gin.H{"error": k, "reason": err.Error()})
				return
			}
			switch {
			case errors.Is(err, tenants.ErrNotFound):
				status, kind, reason = http.StatusNotFound, "not_found", err.Error()
			case errors.Is(err, tenants.ErrExists), errors.Is(err, owner.ErrAlreadyOnboarded):
				status, kind, reason = http.StatusConflict, "conflict", err.Error()
			case errors.Is(err, tenants.ErrBadDomain), errors.Is(err, auth.ErrBadScope), errors.Is(err, errBadRequest):
				status, kind, reason = http.StatusBadRequest, "bad_request", err.Error()
			default:
				s.Log.ErrorContext(c.Request.Context(), "admin: request failed", "path", c.Request.URL.Path, "err", err)
			}
			c.JSON(status, gin.H{"error": kind, "reason": reason})
		}
	}
}

var errBadRequest = errors.New("admin: bad request")

// pprofHandler serves net/http/pprof's profiles under /debug/pprof/.
func pprofHandler(w http.ResponseWriter, r *http.Request) {
	switch strings.TrimPrefix(r.URL.Path, "/debug/pprof/") {
	case "profile":
		pprof.Profile(w, r)
	case "trace":
		pprof.Trace(w, r)
	case "symbol":
		pprof.Symbol(w, r)
	case "cmdline":
		pprof.Cmdline(w, r)
	default:
		pprof.Index(w, r)
	}
}

// InstanceView is what the admin API shows of an instance.
type InstanceView struct {
	Domain    string    `json:"domain"`
	ID        string    `json:"id"`
	State     string    `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	// Onboarding is the one-time link to set the owner's passphrase, when just issued.
	Onboarding *Onboarding `json:"onboarding,omitempty"`
}

// Onboarding is a one-time link that lets its holder set the owner's passphrase.
type Onboarding struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

func view(inst *tenants.Instance) InstanceView {
	return InstanceView{Domain: inst.Domain, ID: inst.ID, State: inst.State, CreatedAt: inst.CreatedAt}
}
