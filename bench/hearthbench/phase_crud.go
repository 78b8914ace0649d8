package main

import (
	"context"
	"fmt"
	"strings"
)

// phaseCRUD measures single-document creates, then reads of the created ids, on each target.
func (b *bench) phaseCRUD(ctx context.Context) {
	var cr, rd [numCols]figure
	for col := range numCols {
		t, fig, ok := b.target(ctx, col)
		if !ok {
			cr[col], rd[col] = fig, fig
			continue
		}
		db, err := t.db(ctx, "bench")
		if err != nil {
			cr[col] = b.rep.problem(col, "create database", err)
			rd[col] = cr[col]
			continue
		}
		b.progress("creates on %s", t.name)
		res, ids := creates(ctx, db, b.cfg.win, b.cfg.clients)
		cr[col] = b.rateFigure(col, "creates", res)
		b.progress("reads on %s (%d documents)", t.name, len(ids))
		rd[col] = b.rateFigure(col, "reads", reads(ctx, db, b.cfg.win, b.cfg.clients, ids))
	}
	b.hearthCreate = cr[colEmbedded]
	label := fmt.Sprintf(", %d clients (docs/s)", b.cfg.clients)
	b.rep.rows = append(b.rep.rows,
		speedRow("creates"+label, cr, 10),
		speedRow("reads by id"+label, rd, 15))
}

// rateFigure turns a throughput result into a figure, reporting its failures.
func (b *bench) rateFigure(col int, metric string, res rateResult) figure {
	err := res.err()
	if err == nil {
		return val(res.perSec)
	}
	f := b.rep.problem(col, metric, err)
	if res.perSec > 0 {
		f.v, f.ok, f.bad = res.perSec, true, true
	}
	return f
}

// speedRow is a throughput row whose target is hearth embedded ≥ factor × pouchdb-server.
func speedRow(metric string, cells [numCols]figure, factor float64) row {
	r := row{metric: metric, verb: "%.0f", cells: cells, target: fmt.Sprintf("a ≥ %g× c", factor)}
	ac, okA := ratio(cells[colEmbedded], cells[colPouch])
	bc, okB := ratio(cells[colCouch], cells[colPouch])
	if okA {
		r.ratio = "a/c " + times(ac)
		r.pass = verdict(ac >= factor && !cells[colEmbedded].bad)
	}
	if okB {
		r.ratio = strings.TrimSpace(r.ratio + " b/c " + times(bc))
	}
	return r
}
