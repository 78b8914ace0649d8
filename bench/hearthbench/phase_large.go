package main

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// changesReps is how many times the _changes catch-up is timed; the median is shown.
const changesReps = 3

// largeResult holds the figures of one target on the large database.
type largeResult struct {
	load, changes, first, p50, p99 figure
}

// phaseLarge loads the large database on each target, then times _changes and _find.
func (b *bench) phaseLarge(ctx context.Context) {
	var res [numCols]largeResult
	for col := range numCols {
		t, fig, ok := b.target(ctx, col)
		if !ok {
			res[col] = largeResult{fig, fig, fig, fig, fig}
			continue
		}
		res[col] = b.large(ctx, col, t)
	}
	pick := func(get func(largeResult) figure) (out [numCols]figure) {
		for col := range numCols {
			out[col] = get(res[col])
		}
		return out
	}
	n := b.cfg.docs
	load := slowRow(fmt.Sprintf("bulk load %d docs, batches of %d (s)", n, batchSize), "%.1f", pick(func(r largeResult) figure { return r.load }))
	changes := slowRow(fmt.Sprintf("_changes since=0, %d docs (s)", n), "%.2f", pick(func(r largeResult) figure { return r.changes }))
	withTarget(&changes, "a < 2 s", func(a float64) bool { return a < 2 })
	first := slowRow("_index, then first _find (s)", "%.2f", pick(func(r largeResult) figure { return r.first }))
	p50 := slowRow(fmt.Sprintf("_find p50, 10 of %d docs (ms)", n), "%.2f", pick(func(r largeResult) figure { return r.p50 }))
	withTarget(&p50, "a < 5 ms", func(a float64) bool { return a < 5 })
	p99 := slowRow("_find p99 (ms)", "%.2f", pick(func(r largeResult) figure { return r.p99 }))
	b.rep.rows = append(b.rep.rows, load, changes, first, p50, p99)
}

// large runs the large-database workload on one target within the time cap.
func (b *bench) large(ctx context.Context, col int, t *target) largeResult {
	skipped := figure{note: "skipped"}
	r := largeResult{skipped, skipped, skipped, skipped, skipped}
	capCtx, cancel := context.WithTimeout(ctx, b.cfg.capTime)
	defer cancel()
	fail := func(metric string, err error) figure {
		if errors.Is(capCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			b.rep.remark("%s stopped at the %v cap during %s", t.name, b.cfg.capTime, metric)
			return figure{note: "capped"}
		}
		return b.rep.problem(col, metric, err)
	}
	db, err := t.db(capCtx, "benchlarge")
	if err != nil {
		r.load = fail("create database", err)
		return r
	}
	b.progress("loading %d documents into %s", b.cfg.docs, t.name)
	start := time.Now()
	if err := bulkLoad(capCtx, db, b.cfg.docs); err != nil {
		r.load = fail("bulk load", err)
		return r
	}
	r.load = val(time.Since(start).Seconds())
	b.progress("_changes on %s", t.name)
	var runs []time.Duration
	for range changesReps {
		d, err := changesCatchUp(capCtx, db, b.cfg.docs)
		if err != nil {
			r.changes = fail("_changes", err)
			break
		}
		runs = append(runs, d)
	}
	if len(runs) > 0 {
		r.changes = val(percentile(runs, 50).Seconds())
	}
	r.first, r.p50, r.p99 = b.finds(capCtx, t, db, fail)
	return r
}

// finds creates the index and runs the sequential queries; it returns the time of the index
// creation plus the first query, and the p50 and p99 of the others.
func (b *bench) finds(ctx context.Context, t *target, db *database, fail func(string, error) figure) (first, p50, p99 figure) {
	skipped := figure{note: "skipped"}
	b.progress("_index and %d _find on %s", b.cfg.queries, t.name)
	start := time.Now()
	if err := createTagIndex(ctx, db); err != nil {
		return fail("_index", err), skipped, skipped
	}
	if _, err := findTag(ctx, db, b.cfg.docs); err != nil {
		return fail("first _find", err), skipped, skipped
	}
	first = val(time.Since(start).Seconds())
	var lat []time.Duration
	var stopped figure
	for range b.cfg.queries {
		d, err := findTag(ctx, db, b.cfg.docs)
		if err != nil {
			stopped = fail("_find", err)
			break
		}
		lat = append(lat, d)
	}
	if len(lat) == 0 {
		return first, stopped, stopped
	}
	p50, p99 = val(ms(percentile(lat, 50))), val(ms(percentile(lat, 99)))
	if len(lat) < b.cfg.queries {
		note := fmt.Sprintf("(%d queries, %s)", len(lat), stopped.note)
		p50.note, p99.note = note, note
		p50.bad, p99.bad = true, true
	}
	return first, p50, p99
}

// slowRow is a row of durations: the ratio says how many times faster than pouchdb-server.
func slowRow(metric, verb string, cells [numCols]figure) row {
	r := row{metric: metric, verb: verb, cells: cells}
	if x, ok := ratio(cells[colPouch], cells[colEmbedded]); ok {
		r.ratio = "c/a " + times(x)
	}
	return r
}

// withTarget sets a row's target on hearth embedded's value.
func withTarget(r *row, target string, pass func(a float64) bool) {
	r.target = target
	if a := r.cells[colEmbedded]; a.ok {
		r.pass = verdict(pass(a.v) && !a.bad)
	}
}
