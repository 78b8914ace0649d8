package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// coldStarts adds -cold-starts fresh instances to h, each installing the app (built once per
// tree, so without npm) and opening it as the owner; then, for each in turn, it times the first
// request to the app, which starts it. It returns the median and the slowest, in ms.
func (b *bench) coldStarts(ctx context.Context, h *appHearth, repo, slug string) (p50, slowest figure) {
	b.progress("timing the first request to the app on %d fresh instances", b.cfg.coldStarts)
	var ds []time.Duration
	var shown, notes []string
	for i := range b.cfg.coldStarts {
		app, err := b.nodeSession(ctx, h, fmt.Sprintf("cold%d", i), repo, slug)
		if err != nil {
			f := b.rep.problemOf("hearth", "nodeproxy: cold start", err)
			return f, f
		}
		before, _ := appSockets(h.data)
		d, err := app.first(ctx)
		if err != nil {
			f := b.rep.problemOf("hearth", "nodeproxy: cold start", err)
			return f, f
		}
		after, _ := appSockets(h.data)
		if len(after) != len(before)+1 {
			notes = append(notes, fmt.Sprintf("%s: %d app sockets before, %d after", app.host, len(before), len(after)))
		}
		ds = append(ds, d)
		shown = append(shown, fmt.Sprintf("%.0f", ms(d)))
	}
	b.rep.remark("nodeproxy: first byte of GET %s from each fresh instance's stopped app (ms, in order): %s; "+
		"not timed: adding the instance, installing, onboarding and the session hand-off",
		nodeHealthPath, strings.Join(shown, ", "))
	for _, n := range notes {
		b.rep.remark("nodeproxy: the app was running before its first request? %s", n)
	}
	return val(ms(percentile(ds, 50))), val(ms(percentile(ds, 100)))
}

// profileDuring starts taking hearth's CPU profile through its admin API, as long as a wrk
// run of shape in phase, and returns the function that waits for it and writes it to file.
func (b *bench) profileDuring(ctx context.Context, h *appHearth, shape wrkShape, phase, file string) func() {
	secs := max(1, int(shape.duration.Round(time.Second)/time.Second))
	done := make(chan error, 1)
	go func() { done <- b.saveProfile(ctx, h, secs, file) }()
	return func() {
		if err := <-done; err != nil {
			b.rep.problemOf("hearth", phase+": CPU profile", err)
			return
		}
		which := "its"
		if b.cfg.rounds > 1 {
			which = "its first round's"
		}
		b.rep.remark("%s: hearth's CPU profile over the %d s of %s measured wrk load is in %s "+
			"(go tool pprof -top %s %s)", phase, secs, which, file, b.cfg.hearth, file)
	}
}

// saveProfile fetches /debug/pprof/profile from the admin listener and writes it to file.
func (b *bench) saveProfile(ctx context.Context, h *appHearth, secs int, file string) error {
	u := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", h.admin, secs)
	resp, err := send(ctx, b.c, http.MethodGet, u, "", h.secret, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("hearthbench: read %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: GET %s: %d %.300s", errStatus, u, resp.StatusCode, body)
	}
	if err := os.WriteFile(file, body, 0o644); err != nil {
		return fmt.Errorf("hearthbench: %w", err)
	}
	return nil
}
