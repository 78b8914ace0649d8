package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The columns of the app-serving rows (serveCols).
const (
	colHearth = colEmbedded
	colDirect = colCouch
	colNginx  = colPouch
)

// staticRatio is the target of the static phase: hearth's rate as a share of nginx's.
const staticRatio = 0.7

// staticPath is one request the static phase measures.
type staticPath struct {
	path   string
	what   string // said of it in the row's name
	target bool   // the ratio target applies
}

var staticPaths = []staticPath{
	{appFile, "", true},
	{"/public/", " (HTML: hearth injects its config)", false},
}

// phaseStatic serves the fixture app's public files from hearth (on the app's own origin,
// installed through the admin API) and the same files from nginx, and loads each with wrk.
func (b *bench) phaseStatic(ctx context.Context) {
	cells := b.static(ctx)
	for i, p := range staticPaths {
		w := &cells[i]
		rate := w.rate.cells()
		r := row{heads: &serveCols, verb: "%.0f", cells: rate,
			metric: fmt.Sprintf("static %s%s, %v (req/s)", p.path, p.what, b.cfg.wrk)}
		per, x := w.rate.byRound(colHearth, colNginx, div)
		if x.ok {
			r.ratio = "a/c " + times(x.v)
			if p.target {
				r.pass = verdict(x.v >= staticRatio && !rate[colHearth].bad)
			}
		}
		if p.target {
			r.target = fmt.Sprintf("a ≥ %g× c", staticRatio)
		}
		b.remarkByRound(fmt.Sprintf("static %s: hearth/nginx req/s", p.path), per, x, times)
		cpu := row{heads: &serveCols, metric: "  CPU per request of the server (µs)", verb: "%.1f", cells: w.cpu[0].cells()}
		if _, x := w.cpu[0].byRound(colHearth, colNginx, div); x.ok {
			cpu.ratio = "a/c " + times(x.v)
		}
		b.rep.rows = append(b.rep.rows, r,
			row{heads: &serveCols, metric: "  latency p50 (ms)", verb: "%.2f", cells: w.p50.cells()},
			row{heads: &serveCols, metric: "  latency p99 (ms)", verb: "%.2f", cells: w.p99.cells()}, cpu)
	}
}

// static runs the phase; each path's figures record the CPU time of one process group, the
// server's.
func (b *bench) static(ctx context.Context) []wrkRounds {
	cells := make([]wrkRounds, len(staticPaths))
	for i := range cells {
		cells[i] = newWrkRounds(1)
		cells[i].setAll(colDirect, figure{note: "n/a"})
	}
	fail := func(col int, who, metric string, err error) []wrkRounds {
		f := b.rep.problemOf(who, metric, err)
		for i := range cells {
			cells[i].setAll(col, f)
			if col == colHearth {
				cells[i].setAll(colNginx, figure{note: "-"})
			}
		}
		return cells
	}
	repo, err := b.gitRepoURL(ctx, b.cfg.fixture)
	if err != nil {
		return fail(colHearth, "hearth", "Git server", err)
	}
	h, err := b.startAppHearth(ctx, "hearth static")
	if err != nil {
		return fail(colHearth, "hearth", "start", err)
	}
	defer h.proc.stop()
	domain := h.domain("")
	host := appSlug + "." + domain
	tree, err := h.install(ctx, b.c, domain, repo)
	if err != nil {
		return fail(colHearth, "hearth", "install the app", err)
	}
	dir := filepath.Join(h.data, "apps", "trees", tree)
	want, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(appFile)))
	if err != nil {
		return fail(colHearth, "hearth", "read the installed tree", err)
	}
	resp, _, err := fetchExpect(ctx, b.c, h.public, host, appFile, want)
	if err != nil {
		return fail(colHearth, "hearth", "serve "+appFile, err)
	}
	body := fmt.Sprintf("root %s;\nindex index.html;\n%s", dir, nginxHeaders(resp.Header))
	b.progress("starting nginx on %s", dir)
	nginx, nginxProc, err := startNginx(ctx, b.ps, "nginx static", filepath.Join(b.tmp, "nginx-static"),
		nginxSite{body: body, workers: b.cfg.nginxProcs})
	nginxGroup := 0
	if err == nil {
		nginxGroup = nginxProc.cmd.Process.Pid
	}
	if err != nil {
		f := b.rep.problemOf("nginx", "start", err)
		for i := range cells {
			cells[i].setAll(colNginx, f)
		}
	}
	servers := []struct {
		col   int
		who   string
		base  string
		group int // process group, for the CPU time
	}{{colHearth, "hearth", h.public, h.proc.cmd.Process.Pid}, {colNginx, "nginx", nginx, nginxGroup}}
	for i, p := range staticPaths {
		var size []string
		var measured []roundServer
		for _, s := range servers {
			if s.base == "" {
				continue
			}
			check := want
			if p.path != appFile {
				check = nil
			}
			resp, body, err := fetchExpect(ctx, b.c, s.base, host, p.path, check)
			if err != nil {
				cells[i].setAll(s.col, b.rep.problemOf(s.who, "serve "+p.path, err))
				continue
			}
			size = append(size, fmt.Sprintf("%s %s", s.who, respSize(resp, body)))
			rs := roundServer{col: s.col, who: s.who, cpu: []int{s.group},
				load: wrkLoad{url: s.base + p.path, host: host, shape: b.cfg.wrk}}
			if s.col == colHearth && p.target && b.cfg.profile != "" {
				rs.profile = func() func() {
					return b.profileDuring(ctx, h, rs.load.shape, "static", b.cfg.profile+".static")
				}
			}
			measured = append(measured, rs)
		}
		b.measureRounds(ctx, measured, &cells[i])
		b.rep.remark("static: GET %s answers %s (head+body)", p.path, strings.Join(size, ", "))
	}
	b.rep.remark("static: hearth serves the app at http://%s%s (instance %s); nginx (worker_processes %s) serves "+
		"the same installed tree, with the same security headers, given the same Host header", host, appFile, domain, b.cfg.nginxProcs)
	return cells
}

// unsharedHeaders are response headers that each server computes itself.
var unsharedHeaders = []string{"Accept-Ranges", "Connection", "Content-Length", "Content-Type", "Date",
	"Etag", "Keep-Alive", "Last-Modified", "Server", "Transfer-Encoding"}

// nginxHeaders turns the headers hearth adds to an app's file (security headers, caching)
// into add_header lines, so that both servers send the same response.
func nginxHeaders(h http.Header) string {
	var lines []string
	for name, vals := range h {
		if slices.Contains(unsharedHeaders, name) {
			continue
		}
		for _, v := range vals {
			if strings.ContainsAny(v, "$\n") {
				continue // not expressible in an nginx string
			}
			v = strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v)
			lines = append(lines, fmt.Sprintf("add_header %s \"%s\" always;", name, v))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// respSize describes a response's size: head (status line and headers) and body.
func respSize(resp *http.Response, body []byte) string {
	var head bytes.Buffer
	fmt.Fprintf(&head, "%s %s\r\n", resp.Proto, resp.Status)
	_ = resp.Header.Write(&head)
	if resp.Header.Get("Content-Length") == "" && resp.ContentLength >= 0 {
		fmt.Fprintf(&head, "Content-Length: %d\r\n", resp.ContentLength)
	}
	head.WriteString("\r\n")
	return fmt.Sprintf("%d+%d B", head.Len(), len(body))
}
