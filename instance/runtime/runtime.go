// Package runtime assembles one instance runtime: storage, the instance registry, the Data
// System, realtime events, and the public and admin listeners.
package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	kivik "github.com/go-kivik/kivik/v4"

	"github.com/hearth-cloud/hearth/instance/admin"
	"github.com/hearth-cloud/hearth/instance/apps"
	"github.com/hearth-cloud/hearth/instance/auth"
	"github.com/hearth-cloud/hearth/instance/datasys"
	"github.com/hearth-cloud/hearth/instance/devices"
	"github.com/hearth-cloud/hearth/instance/home"
	"github.com/hearth-cloud/hearth/instance/owner"
	"github.com/hearth-cloud/hearth/instance/proxy"
	"github.com/hearth-cloud/hearth/instance/search"
	"github.com/hearth-cloud/hearth/instance/store"
	"github.com/hearth-cloud/hearth/instance/tenants"
	"github.com/hearth-cloud/hearth/registry/gitsource"
)

// Config is everything a runtime is started with.
type Config struct {
	Addr        string // public listener
	AdminAddr   string // admin listener
	DataDir     string // everything embedded lives here
	CouchDBURL  string // documents on CouchDB instead of the embedded engine
	RedisURL    string // events through Redis instead of in-process
	AdminSecret string // empty: read or generated in DataDir
	MaxDocSize  int64
	// AllowPrivateGit lets apps be installed from Git servers on loopback or private addresses
	// (tests, a Git server on the owner's network). Off, such URLs are refused.
	AllowPrivateGit bool
	// PublicScheme is how browsers reach the instances, "http" (default) or "https" (behind a
	// proxy that terminates TLS): it makes the links the runtime prints.
	PublicScheme string
	// FlatAppsDomain, when set, serves apps at {instance}-{slug}.{FlatAppsDomain} for the
	// instances directly under it (single-level wildcard certificates).
	FlatAppsDomain string
	// AppIdleTimeout stops a node app unused this long; AppMemoryMax bounds each app's memory.
	// Zero values take the controller's defaults (10 minutes, 512 MiB).
	AppIdleTimeout time.Duration
	AppMemoryMax   int64
	// IdleConnTimeout closes a client's keep-alive connection that carried no request this
	// long (zero: 2 minutes), so that idle or abandoned connections do not pile up.
	IdleConnTimeout time.Duration
	// Registries are the app registries every instance trusts, in priority order, unless it
	// has its own list. Their clients reach private addresses only with AllowPrivateGit.
	Registries []apps.Registry
}

// Runtime is a running instance runtime.
type Runtime struct {
	cfg     Config
	log     *slog.Logger
	client  *kivik.Client
	dbs     *store.DBs
	tenants *tenants.Registry
	events  *eventHub
	data    *datasys.Service
	secret  string
	tokens  auth.VerifyCache
	devices *devices.Service
	apps    *apps.Service
	trust   *apps.TrustStore
	search  *search.Indexer
	home    *home.Home
	// hasher and throttle are shared by the owners of every instance.
	hasher   *owner.Hasher
	throttle *owner.Throttle

	appServers appServers
	appConns   appConns      // connections to node apps taken over from net/http
	routes     atomic.Uint64 // changes when what routes requests to node apps may have changed (see nodeRoute)
	nodes      nodeApps
	streams    streams          // the long-lived requests of device and app tokens, to end with them
	manifests  sync.Map         // tree hash → *manifest.Manifest: parsed once per installed version
	files      *proxy.FileCache // small files of installed trees, shared by every instance
}

// New opens storage and the instance registry. Close releases them.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Runtime, error) {
	registries, err := apps.CheckRegistries(cfg.Registries)
	if err != nil {
		return nil, err
	}
	cfg.Registries = registries
	secret := cfg.AdminSecret
	if secret == "" {
		if secret, err = admin.LoadOrCreateSecret(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	scfg := store.Config{CouchDBURL: cfg.CouchDBURL, Dir: filepath.Join(cfg.DataDir, "dbs")}
	client, err := store.Open(ctx, scfg)
	if err != nil {
		return nil, err
	}
	rt := &Runtime{cfg: cfg, log: log, client: client, dbs: &store.DBs{Client: client}, secret: secret,
		hasher: owner.NewHasher(owner.DefaultParams(), 2), throttle: owner.NewThrottle(0),
		files: proxy.NewFileCache(proxy.DefaultFileCacheSize)}
	if rt.events, err = openEvents(ctx, cfg.RedisURL, log); err != nil {
		_ = client.Close()
		return nil, err
	}
	if rt.tenants, err = tenants.Open(ctx, client, log); err != nil {
		rt.events.close()
		_ = client.Close()
		return nil, err
	}
	rt.data = &datasys.Service{DBs: rt.dbs, Events: rt.events, MaxDocSize: cfg.MaxDocSize, Log: log}
	if err := rt.openSearch(); err != nil {
		rt.tenants.Close()
		rt.events.close()
		_ = client.Close()
		return nil, err
	}
	trees := gitsource.TreeStore{Dir: filepath.Join(cfg.DataDir, "apps", "trees")}
	if err := trees.CleanTemp(); err != nil {
		log.Warn("runtime: clean interrupted app installs", "err", err)
	}
	policy := gitsource.Policy{AllowPrivate: cfg.AllowPrivateGit}
	rt.trust = rt.newTrust()
	rt.apps = &apps.Service{
		Fetcher:        apps.RemoteFetcher{Policy: policy},
		Trees:          trees,
		Records:        appRecords{rt.dbs},
		Trust:          rt.trust,
		RegistryPolicy: policy,
	}
	rt.openNodeApps()
	rt.devices = rt.newDevices()
	if rt.home, err = rt.newHome(); err != nil {
		rt.Close()
		return nil, err
	}
	log.Info("runtime ready", "backend", scfg.Backend(), "events", rt.events.kind, "instances", len(rt.tenants.List()))
	return rt, nil
}

// Instances is the runtime's instance registry.
func (rt *Runtime) Instances() *tenants.Registry { return rt.tenants }

// AdminSecret is the secret the admin API requires.
func (rt *Runtime) AdminSecret() string { return rt.secret }

// Admin returns the admin API's handler.
func (rt *Runtime) Admin() http.Handler {
	return (&admin.Server{Secret: rt.secret, Instances: rt.tenants, Data: rt, Apps: rt.apps,
		RemoveDoctype: rt.destroyDoctype, Onboarding: rt.NewOnboarding, FirstOnboarding: rt.FirstOnboarding, AppInstalled: rt.appInstalled,
		AppRemoved: rt.appRemoved, Registries: rt.trust, Search: rt, Log: rt.log}).Handler()
}

// appRecords keeps each instance's app records in its reserved doctype.
type appRecords struct{ dbs *store.DBs }

func (a appRecords) DB(ctx context.Context, instanceID string) (*kivik.DB, error) {
	db, _, err := a.dbs.Open(ctx, store.DBName(instanceID, apps.Doctype), true)
	return db, err
}

// destroyDoctype destroys the documents of one doctype of an instance.
func (rt *Runtime) destroyDoctype(ctx context.Context, instanceID, doctype string) error {
	name := store.DBName(instanceID, doctype)
	err := rt.client.DestroyDB(ctx, name)
	rt.dbs.Forget(name)
	return errors.Join(err, rt.search.DropDoctype(ctx, instanceID, doctype))
}

// DestroyInstanceData destroys everything of a removed instance on this runtime: its apps
// (their processes, homes, logs and unix users), every database and its search index.
func (rt *Runtime) DestroyInstanceData(ctx context.Context, inst *tenants.Instance) error {
	instanceID := inst.ID
	var errs []error
	installed, err := rt.apps.List(ctx, instanceID)
	if err != nil {
		errs = append(errs, err)
	}
	for _, in := range installed {
		rt.appRemoved(ctx, inst, in.Slug, true)
	}
	prefix := store.InstancePrefix(instanceID)
	names, err := rt.client.AllDBs(ctx)
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("runtime: list databases: %w", err))...)
	}
	for _, name := range names {
		if strings.HasPrefix(name, prefix) {
			if err := rt.client.DestroyDB(ctx, name); err != nil && kivik.HTTPStatus(err) != http.StatusNotFound {
				errs = append(errs, err)
			}
		}
	}
	rt.dbs.Forget(prefix)
	errs = append(errs, rt.search.DropInstance(instanceID))
	return errors.Join(errs...)
}

// Close stops the registry's feed and closes storage and the event hub.
func (rt *Runtime) Close() error {
	rt.appServers.mu.Lock()
	for _, s := range rt.appServers.byID {
		_ = s.static.Close()
	}
	rt.appServers.byID = nil
	for _, r := range rt.appServers.roots {
		_ = r.Close()
	}
	rt.appServers.roots = nil
	rt.appServers.mu.Unlock()
	if rt.nodes.ctl != nil {
		if err := rt.nodes.ctl.Close(); err != nil {
			rt.log.Warn("runtime: stop node apps", "err", err)
		}
	}
	if err := rt.search.Close(); err != nil {
		rt.log.Warn("runtime: close the search indexes", "err", err)
	}
	rt.tenants.Close()
	rt.events.close()
	return rt.client.Close()
}

// Serve listens on the public and admin addresses until ctx ends, then shuts both down,
// letting requests in flight finish for up to ten seconds.
func (rt *Runtime) Serve(ctx context.Context) error {
	pub, err := net.Listen("tcp", rt.cfg.Addr)
	if err != nil {
		return fmt.Errorf("runtime: public listener: %w", err)
	}
	adm, err := net.Listen("tcp", rt.cfg.AdminAddr)
	if err != nil {
		pub.Close()
		return fmt.Errorf("runtime: admin listener: %w", err)
	}
	return rt.ServeListeners(ctx, pub, adm)
}

// DefaultIdleConnTimeout is how long a keep-alive connection may wait for its next request
// when Config.IdleConnTimeout is zero.
const DefaultIdleConnTimeout = 2 * time.Minute

// ServeListeners is Serve on listeners the caller opened.
func (rt *Runtime) ServeListeners(ctx context.Context, pub, adm net.Listener) error {
	public := rt.Public()
	base := func(net.Listener) context.Context { return ctx }
	idle := rt.cfg.IdleConnTimeout
	if idle <= 0 {
		idle = DefaultIdleConnTimeout
	}
	servers := []*http.Server{
		{Handler: public, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: idle, BaseContext: base},
		{Handler: rt.Admin(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: idle},
		// The connections to node apps taken over from the first server and handed back
		// (see appConns).
		{Handler: public, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: idle, BaseContext: base},
	}
	rt.appConns.back, rt.appConns.backSrv = newHandBackListener(pub.Addr()), servers[2]
	if loop, err := newReactor(rt, &rt.appConns); err != nil {
		rt.log.Warn("runtime: no event loop for node apps' connections: each keeps a goroutine", "err", err)
	} else {
		rt.appConns.loop = loop
	}
	rt.setLocalURL(pub.Addr())
	errc := make(chan error, 3)
	for i, l := range []net.Listener{pub, adm, rt.appConns.back} {
		if i < 2 {
			rt.log.Info("listening", "role", []string{"public", "admin"}[i], "addr", l.Addr().String())
		}
		go func(s *http.Server, l net.Listener) { errc <- s.Serve(l) }(servers[i], l)
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range servers {
		_ = s.Shutdown(shutdown)
	}
	rt.appConns.shutdown(shutdown)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
