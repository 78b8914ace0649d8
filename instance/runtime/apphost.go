package runtime

import (
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hearth-cloud/hearth/instance/apps"
	"github.com/hearth-cloud/hearth/instance/auth"
	"github.com/hearth-cloud/hearth/instance/proxy"
	"github.com/hearth-cloud/hearth/instance/tenants"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// appTokenTTL is how long the token handed to an app's page lives.
const appTokenTTL = time.Hour

// appServers keeps one static server per installed app version.
type appServers struct {
	mu   sync.Mutex
	byID map[string]appServer // guarded by mu: instance id + "/" + slug
}

type appServer struct {
	tree   string
	static *proxy.Static
}

// serveApp answers a request on an app's origin ({slug}.{instance} of an instance this runtime
// knows); it reports false when the host is no app's.
func (rt *Runtime) serveApp(c *gin.Context) bool {
	known := func(domain string) bool {
		_, ok := rt.tenants.Cached(domain)
		return ok
	}
	ah, err := proxy.ParseAppHost(c.Request.Host, known, proxy.FlatScheme{})
	if err != nil {
		return false
	}
	inst, ok := rt.tenants.Cached(ah.Instance)
	if !ok || inst.State == tenants.StateBlocked {
		return false
	}
	in, err := rt.apps.Get(c.Request.Context(), inst.ID, ah.Slug)
	if err != nil {
		c.JSON(http.StatusNotFound, gin.H{"error": "not_found", "reason": "No such app on this instance."})
		return true
	}
	h, err := rt.staticFor(inst, in, scheme(c.Request))
	switch {
	case errors.Is(err, errNotStatic):
		c.JSON(http.StatusNotImplemented, gin.H{"error": "not_implemented", "reason": "This runtime does not run node apps yet."})
	case err != nil:
		rt.log.Error("runtime: serve app", "app", ah.Slug, "instance", inst.Domain, "err", err)
		c.JSON(http.StatusServiceUnavailable, gin.H{"error": "unavailable", "reason": "The app's files are not available on this node."})
	default:
		h.ServeHTTP(c.Writer, c.Request)
	}
	return true
}

// errNotStatic is returned by staticFor for an app of another kind.
var errNotStatic = errors.New("runtime: not a static app")

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// staticFor returns the server of the installed version of a static app, built (and its
// manifest read) once per version.
func (rt *Runtime) staticFor(inst *tenants.Instance, in *apps.Installed, scheme string) (*proxy.Static, error) {
	key := inst.ID + "/" + in.Slug
	rt.appServers.mu.Lock()
	defer rt.appServers.mu.Unlock()
	if s, ok := rt.appServers.byID[key]; ok && s.tree == in.Tree {
		return s.static, nil
	}
	m, err := in.App()
	if err != nil {
		return nil, err
	}
	if m.Kind != manifest.KindStatic {
		return nil, errNotStatic
	}
	dir, err := rt.apps.Trees.Path(in.Tree)
	if err != nil {
		return nil, err
	}
	scopes := append([]string(nil), in.Scopes...)
	secret, id, slug := inst.Secret, inst.ID, in.Slug
	st, err := proxy.NewStatic(proxy.StaticApp{
		Dir: dir, Manifest: m, Instance: scheme + "://" + inst.Domain, TreeHash: in.Tree,
		// Owner sessions come with the login pages: until then only public routes are served.
		Gate: nil,
		TokenFor: func(*http.Request) (string, error) {
			now := time.Now()
			return auth.Issue(secret, auth.Claims{Instance: id, Scopes: scopes, Subject: "app:" + slug,
				Issued: now.Unix(), Expires: now.Add(appTokenTTL).Unix()})
		},
		TokenTTL: appTokenTTL,
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
