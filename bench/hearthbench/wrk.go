package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

var errWrk = errors.New("hearthbench: wrk")

// wrkShape is the load wrk puts on a server.
type wrkShape struct {
	threads  int
	conns    int
	duration time.Duration // rounded to whole seconds
}

// String describes the load in a row's name.
func (s wrkShape) String() string {
	return fmt.Sprintf("wrk -t%d -c%d -d%s", s.threads, s.conns, s.secs())
}

func (s wrkShape) secs() string {
	return strconv.Itoa(max(1, int(s.duration.Round(time.Second)/time.Second))) + "s"
}

// wrkLoad is one wrk run: a URL, the Host header to send, and the load's shape.
type wrkLoad struct {
	url     string
	host    string   // sent as the Host header when not empty
	headers []string // more request headers, "Name: value"
	shape   wrkShape
}

// args are wrk's arguments for the load.
func (l wrkLoad) args() []string {
	sh := l.shape
	args := []string{"-t", strconv.Itoa(sh.threads), "-c", strconv.Itoa(sh.conns), "-d", sh.secs(), "--latency"}
	if l.host != "" {
		args = append(args, "-H", "Host: "+l.host)
	}
	for _, h := range l.headers {
		args = append(args, "-H", h)
	}
	return append(args, l.url)
}

// wrkResult is what wrk measured.
type wrkResult struct {
	perSec   float64       // requests per second
	requests int64         // requests completed
	p50, p99 time.Duration // latency percentiles
	non2xx   int64         // responses other than 2xx or 3xx
	sockErrs string        // wrk's socket error line, when it printed one
}

// err returns nil when every request got a 2xx or 3xx answer without socket errors.
func (r wrkResult) err() error {
	var probs []string
	if r.non2xx > 0 {
		probs = append(probs, fmt.Sprintf("%d of %d responses were not 2xx or 3xx", r.non2xx, r.requests))
	}
	if r.sockErrs != "" {
		probs = append(probs, "socket errors: "+r.sockErrs)
	}
	if r.requests == 0 {
		probs = append(probs, "no request completed")
	}
	if len(probs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", errWrk, strings.Join(probs, "; "))
}

// figure is the rate as a table cell; a rate with failed requests cannot pass.
func (r wrkResult) figure(b *bench, who, metric string) figure {
	if err := r.err(); err != nil {
		f := b.rep.problemOf(who, metric, err)
		if r.perSec > 0 {
			f.v, f.ok, f.bad = r.perSec, true, true
		}
		return f
	}
	return val(r.perSec)
}

// runWrk runs wrk once with latency statistics and parses its report.
func runWrk(ctx context.Context, load wrkLoad) (wrkResult, error) {
	bin, err := exec.LookPath("wrk")
	if err != nil {
		return wrkResult{}, fmt.Errorf("%w: not installed (`make bench-deps` installs it): %w", errWrk, err)
	}
	args := load.args()
	ctx, cancel := context.WithTimeout(ctx, load.shape.duration+time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("%w %s: %w\n%s", errWrk, strings.Join(args, " "), err, out)
	}
	res, err := parseWrk(string(out))
	if err != nil {
		return wrkResult{}, fmt.Errorf("%w\n%s", err, out)
	}
	return res, nil
}

// parseWrk reads the report wrk prints with --latency.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	var haveRate, haveCount bool
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		line := strings.TrimSpace(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return r, fmt.Errorf("%w: rate %q: %w", errWrk, f[1], err)
			}
			r.perSec, haveRate = v, true
		case len(f) >= 4 && f[1] == "requests" && f[2] == "in":
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return r, fmt.Errorf("%w: count %q: %w", errWrk, f[0], err)
			}
			r.requests, haveCount = n, true
		case len(f) == 2 && (f[0] == "50%" || f[0] == "99%"):
			d, err := time.ParseDuration(f[1])
			if err != nil {
				return r, fmt.Errorf("%w: latency %q: %w", errWrk, f[1], err)
			}
			if f[0] == "50%" {
				r.p50 = d
			} else {
				r.p99 = d
			}
		case strings.HasPrefix(line, "Non-2xx or 3xx responses:"):
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(line, "Non-2xx or 3xx responses:")), 10, 64)
			if err != nil {
				return r, fmt.Errorf("%w: %q: %w", errWrk, line, err)
			}
			r.non2xx = n
		case strings.HasPrefix(line, "Socket errors:"):
			r.sockErrs = strings.TrimSpace(strings.TrimPrefix(line, "Socket errors:"))
		}
	}
	if !haveRate || !haveCount || r.p99 == 0 {
		return r, fmt.Errorf("%w: no rate, count or latency distribution in its report", errWrk)
	}
	return r, nil
}

// wrkMeasure warms a URL up with wrk, then measures it with the phases' load.
func (b *bench) wrkMeasure(ctx context.Context, who, url, host string) (rate, p50, p99 figure) {
	return b.wrkMeasureLoad(ctx, who, wrkLoad{url: url, host: host, shape: b.cfg.wrk})
}

// wrkMeasureLoad warms load up for -warmup (at least a second), then measures it.
func (b *bench) wrkMeasureLoad(ctx context.Context, who string, load wrkLoad) (rate, p50, p99 figure) {
	if f, ok := b.wrkWarm(ctx, who, load); !ok {
		return f, f, f
	}
	r, err := runWrk(ctx, load)
	return b.wrkFigures(who, load, r, err)
}

// wrkWarm runs load for -warmup (at least a second); when it fails, it returns the figure
// that stands for the measurement.
func (b *bench) wrkWarm(ctx context.Context, who string, load wrkLoad) (figure, bool) {
	warm := load
	warm.shape.duration = b.warmup()
	b.progress("wrk on %s (%s): %s warm-up, then %s", who, load.shape, warm.shape.secs(), load.shape.secs())
	if _, err := runWrk(ctx, warm); err != nil {
		return b.rep.problemOf(who, "wrk warm-up", err), false
	}
	return figure{}, true
}

// warmup is how long wrk warms a server up.
func (b *bench) warmup() time.Duration { return max(b.cfg.win.warmup, time.Second) }

// wrkFigures turns a measurement into the rate and latency cells.
func (b *bench) wrkFigures(who string, load wrkLoad, r wrkResult, err error) (rate, p50, p99 figure) {
	if err != nil {
		f := b.rep.problemOf(who, "wrk", err)
		return f, f, f
	}
	rate = r.figure(b, who, "wrk "+load.url)
	p50, p99 = val(ms(r.p50)), val(ms(r.p99))
	p50.bad, p99.bad = rate.bad, rate.bad
	return rate, p50, p99
}
