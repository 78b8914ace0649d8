package runtime

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hearth-cloud/hearth/instance/apps"
	"github.com/hearth-cloud/hearth/instance/apps/controller"
	"github.com/hearth-cloud/hearth/instance/home"
	"github.com/hearth-cloud/hearth/instance/proxy"
	"github.com/hearth-cloud/hearth/instance/tenants"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// nodeTokenTTL is how long the token a node app gets at each start lives: it cannot be renewed
// by a page, and an app runs as long as it is used.
const nodeTokenTTL = 30 * 24 * time.Hour

// nodeApps runs the node apps of every instance through the controller.
type nodeApps struct {
	ctl *controller.Controller // nil when this runtime cannot run node apps
	err error                  // why not

	mu       sync.Mutex
	handlers map[string]nodeHandler // guarded by mu: instance id + "/" + slug
	localURL string                 // guarded by mu: the public listener, as local apps reach it
}

type nodeHandler struct {
	tree string
	h    http.Handler
	lane *controller.Lane // the same, for the loop of taken-over connections
}

// openNodeApps starts the controller under the data directory. When the runtime runs as root
// the apps run as users of their own, so the data directory becomes traversable (0711) and
// what is private in it is kept private (0700).
func (rt *Runtime) openNodeApps() {
	dir := filepath.Join(rt.cfg.DataDir, "apps", "node")
	if os.Geteuid() == 0 {
		for path, mode := range map[string]os.FileMode{rt.cfg.DataDir: 0o711, filepath.Join(rt.cfg.DataDir, "apps"): 0o711,
			filepath.Join(rt.cfg.DataDir, "dbs"): 0o700, filepath.Join(rt.cfg.DataDir, "apps", "trees"): 0o700} {
			if err := os.MkdirAll(path, mode); err != nil {
				rt.log.Warn("runtime: data directory", "path", path, "err", err)
			} else if err := os.Chmod(path, mode); err != nil {
				rt.log.Warn("runtime: data directory", "path", path, "err", err)
			}
		}
	}
	ctl, err := controller.New(controller.Config{Dir: dir, IdleTimeout: rt.cfg.AppIdleTimeout,
		MemoryMax: rt.cfg.AppMemoryMax, Logger: rt.log})
	if err != nil {
		rt.log.Warn("runtime: node apps cannot run on this runtime", "err", err)
		rt.nodes.err = err
		return
	}
	rt.nodes.ctl = ctl
}

// setLocalURL records how apps on this machine reach the public listener.
func (rt *Runtime) setLocalURL(addr net.Addr) {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	rt.nodes.mu.Lock()
	rt.nodes.localURL = "http://" + net.JoinHostPort(host, port)
	rt.nodes.mu.Unlock()
}

// nodeApp describes an installed node app to the controller.
func (rt *Runtime) nodeApp(ctx context.Context, inst *tenants.Instance, in *apps.Installed, m *manifest.Manifest) (controller.App, error) {
	dir, err := rt.apps.TreeDir(ctx, in)
	if err != nil {
		return controller.App{}, err
	}
	scopes := append([]string(nil), in.Scopes...)
	slug := in.Slug
	return controller.App{Instance: inst.ID, Slug: slug, Tree: in.Tree, TreeDir: dir, Node: m.Node,
		Env: func(context.Context) (map[string]string, error) {
			tok, _, err := home.AppToken(inst, slug, scopes, nodeTokenTTL)
			if err != nil {
				return nil, err
			}
			rt.nodes.mu.Lock()
			local := rt.nodes.localURL
			rt.nodes.mu.Unlock()
			return map[string]string{"HEARTH_URL": local, "HEARTH_TOKEN": tok, "HEARTH_INSTANCE": inst.Domain}, nil
		}}, nil
}

// serveNode proxies a request on a node app's origin to the app, started on demand. Without
// the app's session only its public routes pass; the rest goes to the login hand-off.
func (rt *Runtime) serveNode(w http.ResponseWriter, r *http.Request, inst *tenants.Instance, in *apps.Installed, m *manifest.Manifest) {
	if rt.nodes.ctl == nil {
		jsonError(w, http.StatusServiceUnavailable, "unavailable", "This runtime cannot run node apps: "+rt.nodes.err.Error())
		return
	}
	gated := rt.home.AppGate(r, inst, in.Slug)
	if !gated && !m.IsPublic(r.URL.Path) {
		if !proxy.IsNavigation(r) {
			jsonError(w, http.StatusUnauthorized, "unauthorized", "Open the app from your Hearth to log in.")
			return
		}
		origin := scheme(r) + "://" + inst.Domain
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, origin+"/apps/"+in.Slug+"/open?next="+url.QueryEscape(scheme(r)+"://"+r.Host+r.URL.RequestURI()), http.StatusFound)
		return
	}
	nh, err := rt.nodeHandlerFor(r.Context(), inst, in, m)
	if err != nil {
		rt.log.Error("runtime: node app", "app", in.Slug, "instance", inst.Domain, "err", err)
		jsonError(w, http.StatusServiceUnavailable, "unavailable", "The app's files are not available on this node.")
		return
	}
	cookie := r.Header["Cookie"]
	home.StripAppCookie(r)
	var route *nodeRoute
	if gated {
		route = rt.routeOf(w, cookie, r.Header["Cookie"], nh.lane)
	}
	if rt.takeOver(w, r, nh.h, route) {
		return
	}
	nh.h.ServeHTTP(w, r)
}

func (rt *Runtime) nodeHandlerFor(ctx context.Context, inst *tenants.Instance, in *apps.Installed, m *manifest.Manifest) (nodeHandler, error) {
	key := inst.ID + "/" + in.Slug
	rt.nodes.mu.Lock()
	nh, ok := rt.nodes.handlers[key]
	rt.nodes.mu.Unlock()
	if ok && nh.tree == in.Tree {
		return nh, nil
	}
	// Outside the lock: on a node that lacks the tree, this fetches it.
	app, err := rt.nodeApp(ctx, inst, in, m)
	if err != nil {
		return nodeHandler{}, err
	}
	rt.nodes.mu.Lock()
	defer rt.nodes.mu.Unlock()
	if nh, ok := rt.nodes.handlers[key]; ok && nh.tree == in.Tree {
		return nh, nil
	}
	if rt.nodes.handlers == nil {
		rt.nodes.handlers = map[string]nodeHandler{}
	}
	nh = nodeHandler{tree: in.Tree, h: rt.nodes.ctl.Handler(app), lane: rt.nodes.ctl.Lane(app)}
	rt.nodes.handlers[key] = nh
	return nh, nil
}

// buildNode installs a node app's dependencies, so that errors show when the owner installs.
func (rt *Runtime) buildNode(ctx context.Context, inst *tenants.Instance, in *apps.Installed, m *manifest.Manifest) error {
	if rt.nodes.ctl == nil {
		return fmt.Errorf("%w: this runtime cannot run node apps (%v)", controller.ErrBuild, rt.nodes.err)
	}
	app, err := rt.nodeApp(ctx, inst, in, m)
	if err != nil {
		return err
	}
	return rt.nodes.ctl.Build(ctx, app)
}

// stopNode stops a node app (and, with deleteData, removes its home and logs).
func (rt *Runtime) stopNode(ctx context.Context, inst *tenants.Instance, slug string, deleteData bool) {
	if rt.nodes.ctl == nil {
		return
	}
	rt.nodes.mu.Lock()
	delete(rt.nodes.handlers, inst.ID+"/"+slug)
	rt.nodes.mu.Unlock()
	rt.routes.Add(1)
	if err := rt.nodes.ctl.Stop(ctx, inst.ID, slug); err != nil {
		rt.log.Warn("runtime: stop node app", "app", slug, "instance", inst.Domain, "err", err)
	}
	if deleteData {
		if err := rt.nodes.ctl.Remove(inst.ID, slug); err != nil {
			rt.log.Warn("runtime: remove node app files", "app", slug, "instance", inst.Domain, "err", err)
		}
	}
}

// nodeRunner shows the controller's view of apps to the owner's pages.
type nodeRunner struct{ ctl *controller.Controller }

// maxLogShown bounds the log tail the app page shows.
const maxLogShown = 32 << 10

func (n nodeRunner) State(instance, slug string) home.AppState {
	st := n.ctl.Status(instance, slug)
	msg := st.LastError
	if msg == "" && (st.State == controller.StateCrashed || st.State == controller.StateFailed) {
		msg = st.LastExit
	}
	return home.AppState{State: string(st.State), Message: msg, PID: st.PID, Restarts: st.Restarts,
		Limits: strings.Join(st.Limits, "; ")}
}

func (n nodeRunner) Logs(instance, slug string) string {
	b, err := n.ctl.Logs(instance, slug, maxLogShown)
	if err != nil {
		return ""
	}
	return string(b)
}
