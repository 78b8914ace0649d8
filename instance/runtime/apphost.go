package runtime

import (
	"context"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hearth-cloud/hearth/instance/apps"
	"github.com/hearth-cloud/hearth/instance/home"
	"github.com/hearth-cloud/hearth/instance/proxy"
	"github.com/hearth-cloud/hearth/instance/tenants"
	"github.com/hearth-cloud/hearth/internal/expiring"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// appServers keeps one static server per installed app version.
type appServers struct {
	mu        sync.Mutex
	byID      map[string]appServer          // guarded by mu: scheme + "://" + instance id + "/" + slug
	installed expiring.Map[*apps.Installed] // instance id + "/" + slug
	roots     map[string]*os.Root           // guarded by mu: installed trees by hash
}

type appServer struct {
	tree   string
	static *proxy.Static
}

// serveApp answers a request on an app's origin ({slug}.{instance} of an instance this runtime
// knows); it reports false when the host is no app's.
func (rt *Runtime) serveApp(w http.ResponseWriter, r *http.Request) bool {
	known := func(domain string) bool {
		_, ok := rt.tenants.Cached(domain)
		return ok
	}
	ah, err := proxy.ParseAppHost(r.Host, known, rt.flat())
	if err != nil {
		return false
	}
	inst, ok := rt.tenants.Cached(ah.Instance)
	if !ok || inst.State == tenants.StateBlocked {
		return false
	}
	in, err := rt.installedApp(r.Context(), inst, ah.Slug)
	if err != nil {
		jsonError(w, http.StatusNotFound, "not_found", "No such app on this instance.")
		return true
	}
	switch r.URL.Path {
	case home.SessionPath:
		rt.home.ServeAppSession(w, r, inst, ah.Slug)
		return true
	case clientScriptPath:
		clientScript.ServeHTTP(w, r)
		return true
	}
	m, err := rt.manifestOf(in)
	if err != nil {
		rt.log.Error("runtime: serve app", "app", ah.Slug, "instance", inst.Domain, "err", err)
		jsonError(w, http.StatusServiceUnavailable, "unavailable", "The app's manifest is unreadable.")
		return true
	}
	if m.Kind == manifest.KindNode {
		rt.serveNode(w, r, inst, in, m)
		return true
	}
	h, err := rt.staticFor(r.Context(), inst, in, m, scheme(r))
	if err != nil {
		rt.log.Error("runtime: serve app", "app", ah.Slug, "instance", inst.Domain, "err", err)
		jsonError(w, http.StatusServiceUnavailable, "unavailable", "The app's files are not available on this node.")
		return true
	}
	h.ServeHTTP(w, r)
	return true
}

// clientScript serves hearth.js on every app's origin (and the instance's).
var clientScript = proxy.ClientScript()

const clientScriptPath = "/hearth.js"

// runtimeOwns reports whether path, on an app's origin, is answered by the runtime, never by
// the app.
func runtimeOwns(path string) bool { return path == home.SessionPath || path == clientScriptPath }

// staticFor returns the server of the installed version of a static app, built (and its
// manifest read) once per version.
func (rt *Runtime) staticFor(ctx context.Context, inst *tenants.Instance, in *apps.Installed, m *manifest.Manifest, scheme string) (*proxy.Static, error) {
	key := scheme + "://" + inst.ID + "/" + in.Slug
	rt.appServers.mu.Lock()
	s, ok := rt.appServers.byID[key]
	rt.appServers.mu.Unlock()
	if ok && s.tree == in.Tree {
		return s.static, nil
	}
	// Outside the lock: on a node that lacks the tree, this fetches it.
	dir, err := rt.apps.TreeDir(ctx, in)
	if err != nil {
		return nil, err
	}
	rt.appServers.mu.Lock()
	defer rt.appServers.mu.Unlock()
	if s, ok := rt.appServers.byID[key]; ok && s.tree == in.Tree {
		return s.static, nil
	}
	root, err := rt.treeRoot(in.Tree, dir)
	if err != nil {
		return nil, err
	}
	scopes := append([]string(nil), in.Scopes...)
	slug := in.Slug
	origin := scheme + "://" + inst.Domain
	st, err := proxy.NewStatic(proxy.StaticApp{
		Dir: dir, Root: root, Manifest: m, Instance: origin, TreeHash: in.Tree, Cache: rt.files,
		LoginURL: origin + "/apps/" + slug + "/open",
		Gate:     func(r *http.Request) bool { return rt.home.AppGate(r, inst, slug) },
		TokenFor: func(*http.Request) (string, error) {
			tok, _, err := home.AppToken(inst, slug, scopes, home.AppTokenTTL)
			return tok, err
		},
		TokenTTL: home.AppTokenTTL,
		Logger:   rt.log,
	})
	if err != nil {
		return nil, err
	}
	if old, ok := rt.appServers.byID[key]; ok {
		_ = old.static.Close()
	}
	if rt.appServers.byID == nil {
		rt.appServers.byID = map[string]appServer{}
	}
	rt.appServers.byID[key] = appServer{tree: in.Tree, static: st}
	return st, nil
}

// appInstalled prepares a newly installed or updated app to run: a node app's dependencies
// are installed now, so that a failure shows to the owner at once.
func (rt *Runtime) appInstalled(ctx context.Context, inst *tenants.Instance, in *apps.Installed) error {
	rt.dropAppServers(inst, in.Slug)
	// An update may approve less: streams of tokens holding more end.
	rt.streams.end(inst.ID, "app:"+in.Slug, notAllIn(in.Scopes))
	m, err := rt.manifestOf(in)
	if err != nil {
		return err
	}
	if m.Kind == manifest.KindNode {
		return rt.buildNode(ctx, inst, in, m)
	}
	return nil
}

// appRemoved lets go of what ran an uninstalled app, and ends its tokens' streams.
func (rt *Runtime) appRemoved(ctx context.Context, inst *tenants.Instance, slug string, deleteData bool) {
	rt.dropAppServers(inst, slug)
	rt.streams.end(inst.ID, "app:"+slug, nil)
	rt.stopNode(ctx, inst, slug, deleteData)
}

// manifestOf returns the manifest of an installed version, parsed once per tree.
func (rt *Runtime) manifestOf(in *apps.Installed) (*manifest.Manifest, error) {
	if m, ok := rt.manifests.Load(in.Tree); ok {
		return m.(*manifest.Manifest), nil
	}
	m, err := in.App()
	if err != nil {
		return nil, err
	}
	rt.manifests.Store(in.Tree, m)
	return m, nil
}

// installedTTL is how long this runtime trusts the app records it read: changes made here are
// seen at once, changes made by another runtime sharing the instance within this delay.
const installedTTL = 2 * time.Second

// installedApp returns the installed app slug of inst, from a short-lived cache: requests to
// an app's origin need its record each time.
func (rt *Runtime) installedApp(ctx context.Context, inst *tenants.Instance, slug string) (*apps.Installed, error) {
	key := inst.ID + "/" + slug
	now := time.Now()
	if in, ok := rt.appServers.installed.Get(key, now); ok {
		return in, nil
	}
	in, err := rt.apps.Get(ctx, inst.ID, slug)
	if err != nil {
		return nil, err
	}
	rt.appServers.installed.Put(key, in, now.Add(installedTTL))
	return in, nil
}

// treeRoot opens the installed tree in dir once for every instance that serves it (trees
// never change, so one descriptor serves them all).
func (rt *Runtime) treeRoot(tree, dir string) (*os.Root, error) {
	if r, ok := rt.appServers.roots[tree]; ok { // callers hold appServers.mu
		return r, nil
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	if rt.appServers.roots == nil {
		rt.appServers.roots = map[string]*os.Root{}
	}
	rt.appServers.roots[tree] = r
	return r, nil
}

// dropAppServers closes the static servers of an app (of every scheme) and forgets its record.
func (rt *Runtime) dropAppServers(inst *tenants.Instance, slug string) {
	rt.routes.Add(1)
	rt.appServers.mu.Lock()
	defer rt.appServers.mu.Unlock()
	rt.appServers.installed.Forget(inst.ID + "/" + slug)
	for key, s := range rt.appServers.byID {
		if strings.HasSuffix(key, "://"+inst.ID+"/"+slug) {
			_ = s.static.Close()
			delete(rt.appServers.byID, key)
		}
	}
}

// runner is what the pages show of running node apps.
func (rt *Runtime) runner() home.Runner {
	if rt.nodes.ctl == nil {
		return nil
	}
	return nodeRunner{rt.nodes.ctl}
}
