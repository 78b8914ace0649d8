package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Targets of the nodeproxy phase: hearth's rate as a share of nginx's, the median latency hearth
// adds to nginx's, and the first answer of an app that was not running.
const (
	nodeRatio      = 0.8
	nodeAddedMs    = 0.3
	nodeColdMs     = 1000
	nodeHealthPath = "/healthz"
	nodeHealthBody = "ok\n"
)

// nodeProxyResult is what the nodeproxy phase measured.
type nodeProxyResult struct {
	loaded   wrkRounds // the phases' wrk load, with the CPU time of the proxy and of the app
	unloaded wrkRounds // one connection, one thread
	coldP50  figure    // first byte from a stopped app, ms: median over the fresh instances
	coldMax  figure    // and the slowest
}

// The process groups whose CPU time per request the loaded rounds record (wrkRounds.cpu).
const (
	cpuProxy = iota // hearth, or nginx's master and workers; none for direct
	cpuApp          // the node app
	numNodeCPU
)

// newNodeProxyResult returns a result without figures.
func newNodeProxyResult() nodeProxyResult {
	return nodeProxyResult{loaded: newWrkRounds(numNodeCPU), unloaded: newWrkRounds(0)}
}

// setAll makes f the only figure of column col, for a server that is not measured.
func (r *nodeProxyResult) setAll(col int, f figure) {
	r.loaded.setAll(col, f)
	r.unloaded.setAll(col, f)
}

// phaseNodeProxy proxies a node app's requests through hearth and through nginx (to the same
// app's unix socket), loads each with wrk, and times the first answer of apps not yet running.
func (b *bench) phaseNodeProxy(ctx context.Context) {
	r := b.nodeProxy(ctx)
	loaded, one := b.cfg.wrk, wrkShape{threads: 1, conns: 1, duration: b.cfg.wrk.duration}
	cells := r.loaded.rate.cells()
	rate := row{heads: &serveCols, verb: "%.0f", cells: cells, target: fmt.Sprintf("a ≥ %g× c", nodeRatio),
		metric: fmt.Sprintf("nodeproxy GET %s, %v (req/s)", nodeHealthPath, loaded)}
	per, x := r.loaded.rate.byRound(colHearth, colNginx, div)
	if x.ok {
		rate.ratio = "a/c " + times(x.v)
		rate.pass = verdict(x.v >= nodeRatio && !cells[colHearth].bad)
	}
	b.remarkByRound("nodeproxy: hearth/nginx req/s", per, x, times)
	p50 := addedRow("  latency p50 under that load (ms)", &r.loaded.p50)
	b.remarkAdded("p50 under load", &r.loaded.p50)
	p99 := row{heads: &serveCols, metric: "  latency p99 under that load (ms)", verb: "%.2f", cells: r.loaded.p99.cells()}
	proxy, app := &r.loaded.cpu[cpuProxy], &r.loaded.cpu[cpuApp]
	proxyRow := row{heads: &serveCols, metric: "  CPU per request under that load: the proxy (µs)", verb: "%.1f", cells: proxy.cells()}
	appRow := row{heads: &serveCols, metric: "  CPU per request under that load: the app (µs)", verb: "%.1f", cells: app.cells()}
	if _, x := proxy.byRound(colHearth, colNginx, div); x.ok {
		proxyRow.ratio = "a/c " + times(x.v)
	}
	idle := addedRow(fmt.Sprintf("  latency p50 unloaded, %v (ms)", one), &r.unloaded.p50)
	b.remarkAdded("p50 unloaded", &r.unloaded.p50)
	idleRate := row{heads: &serveCols, metric: "  rate unloaded, one connection (req/s)", verb: "%.0f", cells: r.unloaded.rate.cells()}
	na := figure{note: "n/a"}
	k := b.cfg.coldStarts
	coldTarget := fmt.Sprintf("a < %d ms", nodeColdMs)
	cold := row{heads: &serveCols, verb: "%.0f", cells: [numCols]figure{r.coldP50, na, na},
		metric: fmt.Sprintf("nodeproxy first byte from a stopped app, %d fresh instances: median (ms)", k)}
	withTarget(&cold, coldTarget, func(a float64) bool { return a < nodeColdMs })
	coldMax := row{heads: &serveCols, verb: "%.0f", cells: [numCols]figure{r.coldMax, na, na}, metric: "  slowest (ms)"}
	withTarget(&coldMax, coldTarget, func(a float64) bool { return a < nodeColdMs })
	b.rep.rows = append(b.rep.rows, rate, p50, p99, proxyRow, appRow, idle, idleRate, cold, coldMax)
}

// addedRow is a latency row whose target is the latency hearth adds to nginx's: the median
// over the rounds of each round's difference a − c.
func addedRow(metric string, s *series) row {
	cells := s.cells()
	r := row{heads: &serveCols, metric: metric, verb: "%.2f", cells: cells,
		target: fmt.Sprintf("a − c < %g ms", nodeAddedMs)}
	if _, d := s.byRound(colHearth, colNginx, sub); d.ok {
		r.ratio = "a − c " + addedMs(d.v)
		r.pass = verdict(d.v < nodeAddedMs && !cells[colHearth].bad && !cells[colNginx].bad)
	}
	return r
}

// remarkAdded notes under the table the latency hearth added to nginx's in each round.
func (b *bench) remarkAdded(what string, s *series) {
	per, d := s.byRound(colHearth, colNginx, sub)
	b.remarkByRound("nodeproxy: hearth − nginx latency "+what, per, d, addedMs)
}

// nodeProxy runs the phase on a fresh hearth.
func (b *bench) nodeProxy(ctx context.Context) nodeProxyResult {
	r := newNodeProxyResult()
	fail := func(col int, who, metric string, err error) nodeProxyResult {
		f := b.rep.problemOf(who, "nodeproxy: "+metric, err)
		r.setAll(col, f)
		if col == colHearth {
			r.coldP50, r.coldMax = f, f
			r.setAll(colNginx, figure{note: "-"})
		}
		return r
	}
	repo, err := b.gitRepoURL(ctx, b.cfg.nodeApp)
	if err != nil {
		return fail(colHearth, "hearth", "Git server", err)
	}
	m, err := readNodeManifest(b.cfg.nodeApp)
	if err != nil {
		return fail(colHearth, "hearth", "the app's manifest", err)
	}
	// As root, apps run as users of their own, who must traverse the data directory's parents.
	if err := os.Chmod(b.tmp, 0o711); err != nil {
		return fail(colHearth, "hearth", "data directory", err)
	}
	h, err := b.startAppHearth(ctx, "hearth nodeproxy")
	if err != nil {
		return fail(colHearth, "hearth", "start", err)
	}
	defer h.proc.stop()
	app, err := b.nodeSession(ctx, h, "", repo, m.Slug)
	if err == nil {
		_, err = app.first(ctx)
	}
	if err != nil {
		return fail(colHearth, "hearth", "install and open the app", err)
	}
	sock, err := appSocket(h.data)
	if err != nil {
		return fail(colHearth, "hearth", "the app's socket", err)
	}
	appGroup, err := groupWithEnv("HEARTH_SOCKET=" + sock)
	if err != nil {
		b.rep.problemOf("hearth", "nodeproxy: the app's process", err) // its CPU shows "-"
	}
	servers := []nodeServer{{colHearth, "hearth", h.public, h.proc.cmd.Process.Pid, appGroup}}
	if direct, p, err := b.startNodeDirect(ctx, h, m); err != nil {
		r.setAll(colDirect, b.rep.problemOf("direct", "nodeproxy: start", err))
	} else {
		servers = append(servers, nodeServer{colDirect, "direct", direct, 0, p.cmd.Process.Pid})
	}
	b.progress("starting nginx in front of %s", sock)
	nginx, p, err := startNginx(ctx, b.ps, "nginx nodeproxy", filepath.Join(b.tmp, "nginx-nodeproxy"), nodeNginxSite(sock, b.cfg.nginxProcs))
	if err != nil {
		r.setAll(colNginx, b.rep.problemOf("nginx", "nodeproxy: start", err))
	} else {
		servers = append(servers, nodeServer{colNginx, "nginx", nginx, p.cmd.Process.Pid, appGroup})
	}
	b.rep.remark("nodeproxy: hearth proxies http://%s%s to %s (the app %s started by its first request); "+
		"nginx (worker_processes %s) proxies to the same socket through a keep-alive upstream; direct is the "+
		"app's own server alone on 127.0.0.1 TCP; the same Host and Cookie headers go to all three",
		app.host, nodeHealthPath, sock, m.Slug, b.cfg.nginxProcs)
	one := wrkShape{threads: 1, conns: 1, duration: b.cfg.wrk.duration}
	b.measureNode(ctx, app, servers, b.cfg.wrk, &r.loaded, h)
	b.measureNode(ctx, app, servers, one, &r.unloaded, nil)
	r.coldP50, r.coldMax = b.coldStarts(ctx, h, repo, m.Slug)
	return r
}

// nodeServer is one column of the phase: where wrk sends its load, and the process groups of
// the proxy (0: none) and of the app.
type nodeServer struct {
	col        int
	who        string
	base       string
	proxy, app int
}

// measureNode checks that each server answers the app's health check, then loads them with
// wrk in the given shape, in rounds. When w records CPU time (the loaded shape), it records the
// proxy's and the app's, and notes the answers' sizes; with prof, hearth's CPU profile is taken
// during its first round when -profile asks for it.
func (b *bench) measureNode(ctx context.Context, app *nodeApp, servers []nodeServer, shape wrkShape,
	w *wrkRounds, prof *appHearth) {
	var size []string
	var measured []roundServer
	for _, s := range servers {
		resp, body, err := app.check(ctx, s.base)
		if err != nil {
			w.setAll(s.col, b.rep.problemOf(s.who, "nodeproxy: GET "+nodeHealthPath, err))
			continue
		}
		size = append(size, fmt.Sprintf("%s %s", s.who, respSize(resp, body)))
		rs := roundServer{col: s.col, who: s.who,
			load: wrkLoad{url: s.base + nodeHealthPath, host: app.host, headers: []string{app.cookieHeader()}, shape: shape}}
		if len(w.cpu) == numNodeCPU {
			rs.cpu = []int{cpuProxy: s.proxy, cpuApp: s.app}
		}
		if prof != nil && s.col == colHearth && b.cfg.profile != "" {
			rs.profile = func() func() { return b.profileDuring(ctx, prof, shape, "nodeproxy", b.cfg.profile) }
		}
		measured = append(measured, rs)
	}
	b.measureRounds(ctx, measured, w)
	if len(w.cpu) > 0 {
		b.rep.remark("nodeproxy: GET %s answers %s (head+body)", nodeHealthPath, strings.Join(size, ", "))
	}
}
