package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hearth-cloud/hearth/registry/gitindex"
	"github.com/hearth-cloud/hearth/registry/gitsource"
	"github.com/hearth-cloud/hearth/registry/store"
)

// Defaults applied to the zero fields of a Config.
const (
	DefaultRefreshInterval = 15 * time.Minute
	DefaultRefreshTimeout  = 5 * time.Minute
	RefreshConcurrency     = 2       // apps re-indexed at once by the loop
	MaxBodyBytes           = 1 << 20 // of any request
)

// Config is what the server needs besides its store.
type Config struct {
	DataDir string           // holds archives/ (the archives, by sha256)
	Policy  gitsource.Policy // for every Git URL fetched
	// RefreshInterval is how often every app is re-indexed.
	RefreshInterval time.Duration
	// RefreshTimeout bounds one re-index.
	RefreshTimeout time.Duration
}

// Server serves a registry.
type Server struct {
	cfg      Config
	st       *store.Store
	log      *slog.Logger
	archives gitindex.DirArchives
	indexer  *gitindex.Indexer
	limits   *limiter
	icons    *iconCache
	queue    *refreshQueue
	appLocks sync.Map // app id → *sync.Mutex: one index of an app at a time
	handler  http.Handler
}

// New returns a server of the registry held in st.
func New(cfg Config, st *store.Store, log *slog.Logger) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("server: a data directory is required")
	}
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = DefaultRefreshInterval
	}
	if cfg.RefreshTimeout <= 0 {
		cfg.RefreshTimeout = DefaultRefreshTimeout
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	archives := gitindex.DirArchives{Dir: filepath.Join(cfg.DataDir, "archives")}
	s := &Server{cfg: cfg, st: st, log: log, archives: archives,
		indexer: &gitindex.Indexer{Policy: cfg.Policy, Archives: archives},
		limits:  newLimiter(10, time.Minute), icons: newIconCache(256), queue: newRefreshQueue()}
	s.handler = s.routes()
	return s, nil
}

// Handler serves the API, the archives and the webhooks.
func (s *Server) Handler() http.Handler { return s.handler }

// Run re-indexes every app of the registry each RefreshInterval, and the
// apps that webhooks name as soon as they do, RefreshConcurrency at a time,
// until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range RefreshConcurrency {
		wg.Go(func() { s.refreshWorker(ctx) })
	}
	tick := time.NewTicker(s.cfg.RefreshInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			s.queue.close()
			wg.Wait()
			return nil
		case <-tick.C:
			s.queueAll(ctx)
		}
	}
}

// queueAll queues a re-index of every app of this registry.
func (s *Server) queueAll(ctx context.Context) {
	apps, err := s.st.OwnApps(ctx)
	if err != nil {
		s.log.Error("registry: list apps to refresh", "err", err)
		return
	}
	for _, a := range apps {
		s.queue.push(a.ID)
	}
}

// newEngine is a gin engine that trusts no proxy header for the client's address.
func newEngine() (*gin.Engine, error) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if err := r.SetTrustedProxies(nil); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	r.Use(gin.Recovery(), limitBody)
	return r, nil
}

// limitBody bounds every request body to MaxBodyBytes.
func limitBody(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes)
	c.Next()
}
