package main

import (
	"context"
	"fmt"
	"os/exec"
)

// rtDoctype is the doctype the realtime test writes and subscribes to.
const rtDoctype = "io.hearth.benchrt"

// phaseRealtime measures write-to-event latency on hearth embedded and hearth couchdb (both
// with the in-process hub), then on a hearth with the Redis hub when redis-server exists.
func (b *bench) phaseRealtime(ctx context.Context) {
	var p50, p99 [numCols]figure
	p50[colPouch] = figure{note: "n/a"}
	p99[colPouch] = p50[colPouch]
	for _, col := range []int{colEmbedded, colCouch} {
		t, fig, ok := b.target(ctx, col)
		if !ok {
			p50[col], p99[col] = fig, fig
			continue
		}
		p50[col], p99[col] = b.realtime(ctx, col, t)
	}
	n := fmt.Sprintf("%d writes %v apart", b.cfg.rtEvents, b.cfg.rtInterval)
	r50 := row{metric: "realtime p50, in-process hub, " + n + " (ms)", verb: "%.2f", cells: p50}
	r99 := row{metric: "realtime p99, in-process hub (ms)", verb: "%.2f", cells: p99}
	withTarget(&r99, "a < 20 ms", func(a float64) bool { return a < 20 })
	b.rep.rows = append(b.rep.rows, r50, r99)

	var q50, q99 [numCols]figure
	q50[colEmbedded], q99[colEmbedded] = b.realtimeRedis(ctx)
	q50[colPouch], q99[colPouch] = p50[colPouch], p99[colPouch]
	r50 = row{metric: "realtime p50, Redis hub (ms)", verb: "%.2f", cells: q50}
	r99 = row{metric: "realtime p99, Redis hub (ms)", verb: "%.2f", cells: q99}
	withTarget(&r99, "a < 20 ms", func(a float64) bool { return a < 20 })
	b.rep.rows = append(b.rep.rows, r50, r99)
}

// realtimeRedis starts redis-server and a hearth (embedded storage) using it as its hub.
func (b *bench) realtimeRedis(ctx context.Context) (p50, p99 figure) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		b.rep.remark("realtime with Redis skipped: no redis-server binary")
		return figure{note: "no redis"}, figure{note: "no redis"}
	}
	b.progress("starting redis-server")
	url, err := startRedis(ctx, b.ps)
	if err != nil {
		f := b.rep.problem(colEmbedded, "start redis-server", err)
		return f, f
	}
	_, t, err := b.hearthTarget(ctx, "hearth redis", "--redis-url", url)
	if err != nil {
		f := b.rep.problem(colEmbedded, "start hearth with --redis-url", err)
		return f, f
	}
	return b.realtime(ctx, colEmbedded, t)
}

// realtime runs the latency test on one target.
func (b *bench) realtime(ctx context.Context, col int, t *target) (p50, p99 figure) {
	b.progress("realtime on %s", t.name)
	lat, err := rtLatencies(ctx, t, rtDoctype, b.cfg.rtEvents, b.cfg.rtInterval)
	if err != nil {
		f := b.rep.problem(col, "realtime ("+t.name+")", err)
		if len(lat) == 0 {
			return f, f
		}
		p50, p99 = val(ms(percentile(lat, 50))), val(ms(percentile(lat, 99)))
		p50.bad, p99.bad, p50.note, p99.note = true, true, f.note, f.note
		return p50, p99
	}
	return val(ms(percentile(lat, 50))), val(ms(percentile(lat, 99)))
}
