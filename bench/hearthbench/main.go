// Command hearthbench measures Hearth side by side with pouchdb-server: single-document creates
// and reads, _find and _changes over a large database, realtime latency, adding instances, and
// the embedded engine's in-process rate; and serving apps: a static app's files against nginx
// (with wrk), a thousand instances that install the same app, and a node app proxied by hearth
// against nginx proxying the same app, with the app's first answer from stopped. It starts
// every server it measures on free 127.0.0.1 ports with temporary data directories, kills them
// at the end (also on Ctrl-C), and prints one table. `make bench` runs it through bench/run;
// see bench/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"
)

func main() {
	cfg, err := parseConfig(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	if err := run(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		cancel()
		os.Exit(1)
	}
}

// bench is one run: its settings, its processes and what it found.
type bench struct {
	cfg  config
	ps   *procs
	c    *http.Client
	tmp  string // temporary directory holding data dirs and logs
	rep  *report
	logw io.Writer // progress lines

	tg           [numCols]*target
	tgErr        [numCols]figure // what to show when a target could not start
	tgTried      [numCols]bool
	hearthCreate figure // creates/s of hearth embedded over HTTP, for the in-process row

	git      *gitServer // the fixture apps' repositories, started on first use
	gitErr   error
	gitTried bool
	gitRepos map[string]string // fixture directory → repository URL
}

// run runs the phases asked for and prints the table, even after an interruption.
func run(ctx context.Context, cfg config, out, logw io.Writer) error {
	tmp, err := os.MkdirTemp("", "hearthbench-")
	if err != nil {
		return fmt.Errorf("hearthbench: %w", err)
	}
	if cfg.keep {
		defer fmt.Fprintf(out, "\ndata and logs kept in %s\n", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	ps := &procs{dir: tmp}
	defer ps.stopAll()
	b := &bench{cfg: cfg, ps: ps, c: newHTTPClient(), tmp: tmp, rep: &report{}, logw: logw}
	defer b.stopGit()
	steps := map[string]func(context.Context){
		"crud": b.phaseCRUD, "large": b.phaseLarge, "realtime": b.phaseRealtime,
		"instances": b.phaseInstances, "inproc": b.phaseInproc,
		"static": b.phaseStatic, "apps1000": b.phaseApps1000, "nodeproxy": b.phaseNodeProxy,
	}
	start := time.Now()
	b.rep.remark("load average at start: %s", loadAvg())
	for _, p := range phases {
		if cfg.runs(p) && ctx.Err() == nil {
			steps[p](ctx)
		}
	}
	b.rep.remark("load average at end: %s (the servers and this client share these CPUs)", loadAvg())
	var rounds string
	if cfg.runs("static") || cfg.runs("nodeproxy") {
		rounds = "; " + roundsNote(cfg.rounds)
	}
	fmt.Fprintf(out, "\nHearth benchmarks (%s, %d clients, %v measured after %v warm-up, %d docs%s)\n\n",
		time.Since(start).Round(time.Second), cfg.clients, cfg.win.measure, cfg.win.warmup, cfg.docs, rounds)
	b.rep.print(out)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("hearthbench: stopped early: %w", err)
	}
	return nil
}

// loadAvg returns the 1, 5 and 15 minute load averages and the CPU count.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return fmt.Sprintf("%s %s %s on %d CPUs", f[0], f[1], f[2], runtime.NumCPU())
}

// progress prints what the run is doing.
func (b *bench) progress(format string, args ...any) {
	fmt.Fprintf(b.logw, "hearthbench: "+format+"\n", args...)
}
