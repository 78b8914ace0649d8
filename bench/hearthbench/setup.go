package main

import (
	"context"
	"path/filepath"
	"strings"
)

// benchDomain is the instance every Hearth target serves.
const benchDomain = "bench.test"

// benchScopes are the doctypes the benchmark's token may use.
var benchScopes = []string{"io.hearth.bench", "io.hearth.benchlarge", "io.hearth.benchrt"}

// hearthTarget starts a hearth runtime with extra flags, adds the bench instance and returns
// the runtime and a target on it.
func (b *bench) hearthTarget(ctx context.Context, name string, extra ...string) (*hearth, *target, error) {
	dir := filepath.Join(b.tmp, strings.ReplaceAll(name, " ", "-"))
	b.progress("starting %s", name)
	h, err := startHearth(ctx, b.ps, b.cfg.hearth, name, dir, extra...)
	if err != nil {
		return nil, nil, err
	}
	if err := h.addInstance(ctx, b.c, benchDomain); err != nil {
		return nil, nil, err
	}
	tok, err := h.token(ctx, b.c, benchDomain, benchScopes...)
	if err != nil {
		return nil, nil, err
	}
	t := &target{name: name, c: b.c, base: h.public, host: benchDomain, token: tok, prefix: "/data/io.hearth."}
	return h, t, nil
}

// target returns the server of a column, starting it on first use. When it could not start,
// the error is reported once and every later call returns it again with its figure.
func (b *bench) target(ctx context.Context, col int) (*target, figure, bool) {
	if b.tgTried[col] {
		return b.tg[col], b.tgErr[col], b.tg[col] != nil
	}
	b.tgTried[col] = true
	var err error
	switch col {
	case colEmbedded:
		_, b.tg[col], err = b.hearthTarget(ctx, colNames[col])
	case colCouch:
		var url string
		b.progress("starting pouchdb-server for hearth couchdb")
		url, err = startPouchDB(ctx, b.ps, "pouchdb-for-hearth", filepath.Join(b.tmp, "pouchdb-for-hearth"))
		if err == nil {
			_, b.tg[col], err = b.hearthTarget(ctx, colNames[col], "--couchdb-url", url)
		}
	case colPouch:
		var url string
		b.progress("starting pouchdb-server")
		url, err = startPouchDB(ctx, b.ps, "pouchdb-server", filepath.Join(b.tmp, "pouchdb-server"))
		if err == nil {
			b.tg[col] = &target{name: colNames[col], c: b.c, base: url, prefix: "/", create: true}
		}
	}
	if err != nil {
		b.tg[col] = nil
		b.tgErr[col] = b.rep.problem(col, "start", err)
	}
	return b.tg[col], b.tgErr[col], b.tg[col] != nil
}
