package main

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

var errConfig = errors.New("hearthbench: bad flags")

// phases are the parts of the run, in order; -only picks some.
var phases = []string{"crud", "large", "realtime", "instances", "inproc", "static", "apps1000", "nodeproxy"}

// config holds the command-line flags.
type config struct {
	hearth     string        // path of the hearth binary
	clients    int           // concurrent clients of the throughput workloads
	win        window        // warm-up and measured time of the throughput workloads
	docs       int           // documents of the _find and _changes database
	queries    int           // sequential _find queries per target
	capTime    time.Duration // time allowed to one target for the load, _changes and _find
	rtEvents   int           // realtime writes
	rtInterval time.Duration // pause between realtime writes
	instances  int           // instances added through the admin API
	settle     time.Duration // pause before reading the memory
	wrk        wrkShape      // load of the app-serving phases
	rounds     int           // interleaved rounds of wrk runs in the static and nodeproxy phases
	fixture    string        // static app installed by the app-serving phases
	appInsts   int           // instances with the app in apps1000
	nodeApp    string        // node app proxied by the nodeproxy phase
	coldStarts int           // fresh instances whose app's first request nodeproxy times
	profile    string        // file for hearth's CPU profile under nodeproxy's load; empty: none
	nginxProcs string        // nginx worker_processes
	only       []string      // phases to run
	keep       bool          // keep the temporary directory
	timeout    time.Duration // bound on the whole run
}

// parseConfig reads the flags; -quick scales every size down unless a flag sets it.
func parseConfig(args []string) (config, error) {
	var c config
	var only string
	var quick bool
	fs := flag.NewFlagSet("hearthbench", flag.ContinueOnError)
	fs.StringVar(&c.hearth, "hearth", "bin/hearth", "hearth binary")
	fs.IntVar(&c.clients, "clients", 16, "concurrent clients for creates and reads")
	fs.DurationVar(&c.win.warmup, "warmup", time.Second, "warm-up before each throughput measurement")
	fs.DurationVar(&c.win.measure, "duration", 5*time.Second, "measured time of each throughput workload")
	fs.IntVar(&c.docs, "docs", 100_000, "documents in the _find and _changes database")
	fs.IntVar(&c.queries, "queries", 1000, "sequential _find queries per target")
	fs.DurationVar(&c.capTime, "cap", 3*time.Minute, "time allowed per target for loading, _changes and _find")
	fs.IntVar(&c.rtEvents, "rt-events", 2000, "sequential writes in the realtime test")
	fs.DurationVar(&c.rtInterval, "rt-interval", 2*time.Millisecond, "pause between realtime writes")
	fs.IntVar(&c.instances, "instances", 10_000, "instances added through the admin API")
	fs.DurationVar(&c.settle, "settle", 3*time.Second, "pause before reading the runtime's memory")
	fs.IntVar(&c.wrk.threads, "wrk-threads", 2, "wrk threads in the app-serving phases")
	fs.IntVar(&c.wrk.conns, "wrk-conns", 32, "wrk connections in the app-serving phases")
	fs.DurationVar(&c.wrk.duration, "wrk-duration", 10*time.Second, "measured time of each wrk run (whole seconds); static and nodeproxy run one per server and round")
	fs.IntVar(&c.rounds, "rounds", 3, "rounds of the static and nodeproxy phases: each measures every server once, in rotated order; the table gives medians")
	fs.StringVar(&c.fixture, "app", "testdata/apps/static-notes", "static app installed by the static and apps1000 phases")
	fs.IntVar(&c.appInsts, "app-instances", 1000, "instances that install the static app in apps1000")
	fs.StringVar(&c.nodeApp, "node-app", "testdata/apps/node-hello", "node app proxied by the nodeproxy phase (answers GET /healthz)")
	fs.IntVar(&c.coldStarts, "cold-starts", 5, "fresh instances whose stopped app's first request nodeproxy times")
	fs.StringVar(&c.profile, "profile", "", "write hearth's CPU profile during its first round of nodeproxy's wrk load to this file, and of the static phase's to this file + .static")
	fs.StringVar(&c.nginxProcs, "nginx-workers", "auto", "nginx worker_processes (auto: one per CPU)")
	fs.StringVar(&only, "only", strings.Join(phases, ","), "phases to run, comma-separated")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (data and logs)")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Minute, "bound on the whole run")
	fs.BoolVar(&quick, "quick", false, "small sizes for a smoke run (under a minute)")
	if err := fs.Parse(args); err != nil {
		return c, fmt.Errorf("%w: %w", errConfig, err)
	}
	if quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		c.applyQuick(set)
	}
	c.only = strings.Split(only, ",")
	return c, c.validate()
}

// applyQuick scales down the sizes the user did not set.
func (c *config) applyQuick(set map[string]bool) {
	pick := func(name string, apply func()) {
		if !set[name] {
			apply()
		}
	}
	pick("warmup", func() { c.win.warmup = 300 * time.Millisecond })
	pick("duration", func() { c.win.measure = time.Second })
	pick("docs", func() { c.docs = 5000 })
	pick("queries", func() { c.queries = 100 })
	pick("cap", func() { c.capTime = 20 * time.Second })
	pick("rt-events", func() { c.rtEvents = 300 })
	pick("instances", func() { c.instances = 500 })
	pick("settle", func() { c.settle = time.Second })
	pick("wrk-duration", func() { c.wrk.duration = 2 * time.Second })
	pick("rounds", func() { c.rounds = 1 })
	pick("app-instances", func() { c.appInsts = 50 })
	pick("cold-starts", func() { c.coldStarts = 2 })
}

func (c *config) validate() error {
	for _, p := range c.only {
		if !slices.Contains(phases, p) {
			return fmt.Errorf("%w: unknown phase %q (phases: %s)", errConfig, p, strings.Join(phases, ","))
		}
	}
	if c.clients < 1 || c.docs < 10 || c.queries < 1 || c.rtEvents < 1 || c.instances < 1 ||
		c.appInsts < 1 || c.coldStarts < 1 || c.rounds < 1 || c.wrk.threads < 1 || c.wrk.conns < c.wrk.threads || c.wrk.duration < time.Second {
		return fmt.Errorf("%w: -clients, -queries, -rt-events, -instances, -app-instances, -cold-starts, -rounds, -wrk-threads must be ≥ 1, "+
			"-docs ≥ 10, -wrk-conns ≥ -wrk-threads, -wrk-duration ≥ 1s", errConfig)
	}
	paths := []*string{&c.hearth, &c.fixture, &c.nodeApp}
	if c.profile != "" {
		paths = append(paths, &c.profile)
	}
	for _, p := range paths {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", errConfig, *p, err)
		}
		*p = abs
	}
	return nil
}

// runs reports whether a phase was asked for.
func (c *config) runs(phase string) bool { return slices.Contains(c.only, phase) }
