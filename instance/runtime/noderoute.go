package runtime

import (
	"net/http"
	"slices"
	"time"

	"github.com/hearth-cloud/hearth/instance/apps/controller"
)

// nodeRoute is what let a request of a taken-over connection through to its node app: the
// Cookie lines that passed the app's gate, the same without the app session cookie (as the
// app gets them), and the lane to the app. The loop (see reactor) sends the connection's
// next requests down that lane without the handler while they carry the same cookies, for
// routeTTL at most, and only while no owner session ended and no app changed on this runtime
// since (Home.SessionsEnded, Runtime.routes); any other request goes through the handler,
// which decides again.
type nodeRoute struct {
	cookie, stripped []string
	lane             *controller.Lane
	ended, routes    uint64
	until            time.Time
}

// routeTTL bounds how long a route is trusted without the handler: what another runtime
// changed (an app removed, an instance blocked) shows within it, as through the caches the
// handler reads.
const routeTTL = time.Second

// routeOf returns the route of a request that passed its app's gate with cookie (its Cookie
// lines), which the app gets as stripped, to be kept by its connection if it is taken over.
// The connection's route is updated when it has one.
func (rt *Runtime) routeOf(w http.ResponseWriter, cookie, stripped []string, lane *controller.Lane) *nodeRoute {
	route := &nodeRoute{}
	if fw, ok := w.(*fastWriter); ok && fw.c.route != nil {
		route = fw.c.route
	}
	*route = nodeRoute{cookie: cookie, stripped: stripped, lane: lane, ended: rt.home.SessionsEnded(),
		routes: rt.routes.Load(), until: time.Now().Add(routeTTL)}
	return route
}

// holds reports whether req may go down the route at now.
func (route *nodeRoute) holds(rt *Runtime, req *http.Request, now time.Time) bool {
	return route != nil && now.Before(route.until) && route.routes == rt.routes.Load() &&
		route.ended == rt.home.SessionsEnded() && slices.Equal(req.Header["Cookie"], route.cookie)
}
