package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hearth-cloud/hearth/instance/auth"
	"github.com/hearth-cloud/hearth/instance/devices"
	"github.com/hearth-cloud/hearth/instance/tenants"
)

type instanceKey struct{}

// Public returns the handler of the public listener: the request's Host picks the instance.
func (rt *Runtime) Public() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.UseRawPath = true
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	_ = r.SetTrustedProxies(nil) // the client address is the connection's: it keys the login throttle
	r.Use(gin.Recovery(), rt.resolveInstance)
	rt.home.Routes(r)
	rt.oauthRoutes(r)
	r.GET(clientScriptPath, gin.WrapH(clientScript))
	data := gin.WrapH(rt.data)
	r.Any("/data", dataCORS, rt.requireToken, data)
	r.Any("/data/*path", dataCORS, rt.requireToken, data)
	r.GET("/realtime", gin.WrapH(rt.realtimeHandler()))
	rt.searchRoutes(r)
	r.NoRoute(func(c *gin.Context) {
		c.JSON(http.StatusNotFound, gin.H{"error": "not_found", "reason": "No such endpoint."})
	})
	return &publicHandler{rt: rt, instances: r}
}

// publicHandler serves the app origins itself, and hands the instances' requests to their
// routes (gin): requests to apps, the most frequent by far, take no router or middleware.
type publicHandler struct {
	rt        *Runtime
	instances http.Handler
}

func (h *publicHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, known := h.rt.tenants.Cached(r.Host); !known && h.rt.serveAppRecovered(w, r) {
		return
	}
	h.instances.ServeHTTP(w, r)
}

// serveAppRecovered is serveApp answering 500 to a panic, as the instances' routes do, except
// http.ErrAbortHandler, which ends the response on purpose.
func (rt *Runtime) serveAppRecovered(w http.ResponseWriter, r *http.Request) (served bool) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler { //nolint:errorlint // the sentinel itself is what net/http looks for
				panic(v)
			}
			rt.log.Error("runtime: panic serving an app", "host", r.Host, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			served = true
		}
	}()
	return rt.serveApp(w, r)
}

// jsonError answers with the body of the runtime's JSON errors, as gin writes it.
func jsonError(w http.ResponseWriter, status int, code, reason string) {
	b, _ := json.Marshal(struct {
		Error  string `json:"error"`
		Reason string `json:"reason"`
	}{code, reason})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// resolveInstance finds the instance of the request's Host (app origins were served before);
// other hosts get 404. Known instances are found without reading storage; only a host this
// runtime does not know yet is looked up (another runtime may have added it).
func (rt *Runtime) resolveInstance(c *gin.Context) {
	inst, known := rt.tenants.Cached(c.Request.Host)
	var err error
	if !known {
		inst, known = rt.instanceOfLocalCall(c.Request)
	}
	if !known {
		inst, err = rt.tenants.Lookup(c.Request.Context(), c.Request.Host)
	}
	switch {
	case errors.Is(err, tenants.ErrNotFound), errors.Is(err, tenants.ErrBadDomain):
		c.AbortWithStatusJSON(http.StatusNotFound, gin.H{"error": "not_found", "reason": "No instance at this address."})
		return
	case err != nil:
		rt.log.Error("runtime: instance lookup", "host", c.Request.Host, "err", err)
		c.AbortWithStatusJSON(http.StatusServiceUnavailable, gin.H{"error": "unavailable", "reason": "The instance registry is unavailable."})
		return
	case inst.State == tenants.StateBlocked:
		c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"error": "forbidden", "reason": "This instance is blocked."})
		return
	}
	c.Set("instance", inst)
	c.Next()
}

// verifyToken checks a bearer token of inst. An app's token is also checked against the app as
// installed now: it dies with an uninstall, and keeps only what the owner still approves.
func (rt *Runtime) verifyToken(ctx context.Context, inst *tenants.Instance, tok string) (auth.Claims, auth.Permissions, error) {
	claims, perms, err := rt.tokens.Verify(inst.Secret, inst.ID, tok, time.Now())
	if err != nil {
		return claims, nil, err
	}
	if strings.HasPrefix(claims.Subject, devices.SubjectPrefix) {
		if err := rt.checkDevice(ctx, inst, claims); err != nil {
			return claims, nil, err
		}
		return claims, perms, nil
	}
	slug, isApp := strings.CutPrefix(claims.Subject, "app:")
	if !isApp {
		return claims, perms, nil
	}
	in, err := rt.installedApp(ctx, inst, slug)
	if err != nil {
		return claims, nil, fmt.Errorf("%w: the app %s is not installed", auth.ErrBadToken, slug)
	}
	for _, sc := range claims.Scopes {
		if !slices.Contains(in.Scopes, sc) {
			return claims, nil, fmt.Errorf("%w: the owner no longer approves %s for %s", auth.ErrBadToken, sc, slug)
		}
	}
	return claims, perms, nil
}

// instanceOfLocalCall finds the instance of a call that names none by its Host: a node app on
// this machine reaches the Data System at the listener's address (HEARTH_URL), and its token
// says which instance it is for. Verifying the token comes next, as for any call.
func (rt *Runtime) instanceOfLocalCall(r *http.Request) (*tenants.Instance, bool) {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	if net.ParseIP(strings.Trim(host, "[]")) == nil ||
		(r.URL.Path != "/realtime" && r.URL.Path != "/search" && r.URL.Path != "/data" && !strings.HasPrefix(r.URL.Path, "/data/")) {
		return nil, false
	}
	tok, ok := auth.Bearer(r.Header.Get("Authorization"))
	if !ok {
		return nil, false
	}
	id, ok := auth.InstanceOf(tok)
	if !ok {
		return nil, false
	}
	return rt.tenants.CachedByID(id)
}

// dataCORS lets pages of other origins (the instance's apps, each on its own origin) call the
// Data System. It authenticates by bearer token only, never by cookie, so any origin may ask:
// without a token it gets nothing. Preflights are answered here.
func dataCORS(c *gin.Context) {
	if c.GetHeader("Origin") == "" {
		return
	}
	h := c.Writer.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "ETag, Location, Content-Type, X-Couch-Request-ID")
	if c.Request.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, COPY")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, If-Match, If-None-Match, Destination")
		h.Set("Access-Control-Max-Age", "600")
		c.AbortWithStatus(http.StatusNoContent)
	}
}

// requireToken checks the bearer token against the request's instance and puts the caller in
// the request's context. A request that may stay open (a _changes feed that waits) ends with
// its token: at its expiry, or when the device is revoked or the app removed.
func (rt *Runtime) requireToken(c *gin.Context) {
	inst := instanceOf(c)
	tok, ok := auth.Bearer(c.GetHeader("Authorization"))
	if !ok {
		c.Header("WWW-Authenticate", `Bearer realm="hearth"`)
		c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "unauthorized", "reason": "A bearer token is required."})
		return
	}
	ctx := c.Request.Context()
	claims, perms, err := rt.verifyToken(ctx, inst, tok)
	if err == nil && longLived(c.Request) {
		var release func()
		if ctx, release, err = rt.openStream(ctx, inst, tok, claims); err == nil {
			defer release()
		}
	}
	if err != nil {
		c.Header("WWW-Authenticate", `Bearer realm="hearth", error="invalid_token"`)
		c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "unauthorized", "reason": "The token is invalid or expired, or belongs to another instance."})
		return
	}
	caller := &auth.Caller{Instance: inst.ID, Subject: claims.Subject, Perms: perms}
	c.Request = c.Request.WithContext(auth.WithCaller(ctx, caller))
	c.Next()
}
