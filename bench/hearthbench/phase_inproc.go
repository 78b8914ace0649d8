package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	kivik "github.com/go-kivik/kivik/v4"

	"github.com/hearth-cloud/hearth/instance/store/embedded"
)

// phaseInproc measures the embedded engine's rate for the same creates, in process through
// kivik, with no HTTP: the limit hearth embedded approaches.
func (b *bench) phaseInproc(ctx context.Context) {
	var cells [numCols]figure
	cells[colCouch], cells[colPouch] = figure{note: "n/a"}, figure{note: "n/a"}
	b.progress("in-process creates on the embedded engine")
	res, err := inprocCreates(ctx, filepath.Join(b.tmp, "inproc"), b.cfg.win, b.cfg.clients)
	if err != nil {
		cells[colEmbedded] = b.rep.problem(colEmbedded, "in-process creates", err)
	} else {
		cells[colEmbedded] = b.rateFigure(colEmbedded, "in-process creates", res)
	}
	r := row{metric: fmt.Sprintf("engine in-process creates, %d goroutines (docs/s)", b.cfg.clients),
		verb: "%.0f", cells: cells, target: "the limit we approach"}
	if x, ok := ratio(b.hearthCreate, cells[colEmbedded]); ok {
		r.ratio = fmt.Sprintf("HTTP a = %.0f%%", 100*x)
	}
	b.rep.rows = append(b.rep.rows, r)
}

// inprocCreates runs the creates workload on a kivik client of the embedded driver.
func inprocCreates(ctx context.Context, dir string, win window, n int) (rateResult, error) {
	client, err := kivik.New(embedded.DriverName, dir)
	if err != nil {
		return rateResult{}, fmt.Errorf("hearthbench: open embedded engine: %w", err)
	}
	defer client.Close()
	if err := client.CreateDB(ctx, "bench"); err != nil {
		return rateResult{}, fmt.Errorf("hearthbench: create database: %w", err)
	}
	db := client.DB("bench")
	defer db.Close()
	res := runRate(ctx, win, n, func(ctx context.Context, w, i int) error {
		_, err := db.Put(ctx, docID(w, i), json.RawMessage(docBody(w, i)))
		return err
	})
	return res, nil
}
