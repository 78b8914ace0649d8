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
	loaded   wrkCells // the phases' wrk load
	cpu      nodeCPU  // under that load
	unloaded wrkCells // one connection, one thread
	coldP50  figure   // first byte from a stopped app, ms: median over the fresh instances
	coldMax  figure   // and the slowest
}

// nodeCPU is the CPU time per request, in µs, of the proxy and of the app behind it.
type nodeCPU struct{ proxy, app [numCols]figure }

// setAll puts f in column col of every wrk figure.
func (r *nodeProxyResult) setAll(col int, f figure) {
	r.loaded.setAll(col, f)
	r.unloaded.setAll(col, f)
	r.cpu.proxy[col], r.cpu.app[col] = f, f
}

// phaseNodeProxy proxies a node app's requests through hearth and through nginx (to the same
// app's unix socket), loads each with wrk, and times the first answer of apps not yet running.
func (b *bench) phaseNodeProxy(ctx context.Context) {
	r := b.nodeProxy(ctx)
	loaded, one := b.cfg.wrk, wrkShape{threads: 1, conns: 1, duration: b.cfg.wrk.duration}
	rate := row{heads: &serveCols, verb: "%.0f", cells: r.loaded.rate, target: fmt.Sprintf("a ≥ %g× c", nodeRatio),
		metric: fmt.Sprintf("nodeproxy GET %s, %v (req/s)", nodeHealthPath, loaded)}
	if x, ok := ratio(r.loaded.rate[colHearth], r.loaded.rate[colNginx]); ok {
		rate.ratio = "a/c " + times(x)
		rate.pass = verdict(x >= nodeRatio && !r.loaded.rate[colHearth].bad)
	}
	p50 := addedRow("  latency p50 under that load (ms)", r.loaded.p50)
	p99 := row{heads: &serveCols, metric: "  latency p99 under that load (ms)", verb: "%.2f", cells: r.loaded.p99}
	cpuProxy := row{heads: &serveCols, metric: "  CPU per request under that load: the proxy (µs)", verb: "%.1f", cells: r.cpu.proxy}
	cpuApp := row{heads: &serveCols, metric: "  CPU per request under that load: the app (µs)", verb: "%.1f", cells: r.cpu.app}
	if x, ok := ratio(r.cpu.proxy[colHearth], r.cpu.proxy[colNginx]); ok {
		cpuProxy.ratio = "a/c " + times(x)
	}
	idle := addedRow(fmt.Sprintf("  latency p50 unloaded, %v (ms)", one), r.unloaded.p50)
	idleRate := row{heads: &serveCols, metric: "  rate unloaded, one connection (req/s)", verb: "%.0f", cells: r.unloaded.rate}
	na := figure{note: "n/a"}
	k := b.cfg.coldStarts
	coldTarget := fmt.Sprintf("a < %d ms", nodeColdMs)
	cold := row{heads: &serveCols, verb: "%.0f", cells: [numCols]figure{r.coldP50, na, na},
		metric: fmt.Sprintf("nodeproxy first byte from a stopped app, %d fresh instances: median (ms)", k)}
	withTarget(&cold, coldTarget, func(a float64) bool { return a < nodeColdMs })
	coldMax := row{heads: &serveCols, verb: "%.0f", cells: [numCols]figure{r.coldMax, na, na}, metric: "  slowest (ms)"}
	withTarget(&coldMax, coldTarget, func(a float64) bool { return a < nodeColdMs })
	b.rep.rows = append(b.rep.rows, rate, p50, p99, cpuProxy, cpuApp, idle, idleRate, cold, coldMax)
}

// addedRow is a latency row whose target is the latency hearth adds to nginx's.
func addedRow(metric string, cells [numCols]figure) row {
	r := row{heads: &serveCols, metric: metric, verb: "%.2f", cells: cells,
		target: fmt.Sprintf("a − c < %g ms", nodeAddedMs)}
	a, c := cells[colHearth], cells[colNginx]
	if a.ok && c.ok {
		d := a.v - c.v
		r.ratio = fmt.Sprintf("a − c %+.2f ms", d)
		r.pass = verdict(d < nodeAddedMs && !a.bad && !c.bad)
	}
	return r
}

// nodeProxy runs the phase on a fresh hearth.
func (b *bench) nodeProxy(ctx context.Context) nodeProxyResult {
	var r nodeProxyResult
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
	b.measureNode(ctx, app, servers, b.cfg.wrk, &r.loaded, &r.cpu, h)
	b.measureNode(ctx, app, servers, one, &r.unloaded, nil, nil)
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

// measureNode checks that each server answers the app's health check, then loads it with wrk
// in the given shape, one after the other. With cpu, it records the CPU time per request of
// the proxy and of the app; with prof, hearth's CPU profile is taken during its load when
// -profile asks for it.
func (b *bench) measureNode(ctx context.Context, app *nodeApp, servers []nodeServer, shape wrkShape,
	cells *wrkCells, cpu *nodeCPU, prof *appHearth) {
	var size []string
	for _, s := range servers {
		resp, body, err := app.check(ctx, s.base)
		if err != nil {
			cells.setAll(s.col, b.rep.problemOf(s.who, "nodeproxy: GET "+nodeHealthPath, err))
			continue
		}
		size = append(size, fmt.Sprintf("%s %s", s.who, respSize(resp, body)))
		load := wrkLoad{url: s.base + nodeHealthPath, host: app.host, headers: []string{app.cookieHeader()}, shape: shape}
		if f, ok := b.wrkWarm(ctx, s.who, load); !ok {
			cells.setAll(s.col, f)
			continue
		}
		proxyCPU, appCPU := startCPU(s.proxy), startCPU(s.app)
		done := func() {}
		if prof != nil && s.col == colHearth && b.cfg.profile != "" {
			done = b.profileDuring(ctx, prof, shape, "nodeproxy", b.cfg.profile)
		}
		res, err := runWrk(ctx, load)
		if cpu != nil {
			cpu.proxy[s.col], cpu.app[s.col] = proxyCPU.perRequest(res.requests), appCPU.perRequest(res.requests)
		}
		done()
		cells.rate[s.col], cells.p50[s.col], cells.p99[s.col] = b.wrkFigures(s.who, load, res, err)
	}
	if cpu != nil {
		b.rep.remark("nodeproxy: GET %s answers %s (head+body)", nodeHealthPath, strings.Join(size, ", "))
	}
}
