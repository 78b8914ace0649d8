package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// refInstances is the count the instance targets are stated for.
const refInstances = 10_000

// phaseInstances adds many instances to a fresh hearth through the admin API with concurrent
// callers, and measures the time taken and the runtime's memory growth per instance.
func (b *bench) phaseInstances(ctx context.Context) {
	took, perInst := b.instances(ctx)
	var tc, mc [numCols]figure
	tc[colEmbedded], mc[colEmbedded] = took, perInst
	for _, col := range []int{colCouch, colPouch} {
		tc[col], mc[col] = figure{note: "n/a"}, figure{note: "n/a"}
	}
	n := b.cfg.instances
	tr := row{metric: fmt.Sprintf("add %d instances, %d callers (s)", n, b.cfg.clients), verb: "%.1f", cells: tc}
	limit := 30 * float64(n) / refInstances
	withTarget(&tr, fmt.Sprintf("a < %.3g s", limit), func(a float64) bool { return a < limit })
	mr := row{metric: "RSS growth per idle instance (KB)", verb: "%.1f", cells: mc}
	withTarget(&mr, "a < 50 KB", func(a float64) bool { return a < 50 })
	b.rep.rows = append(b.rep.rows, tr, mr)
}

// instances runs the test on a fresh hearth embedded.
func (b *bench) instances(ctx context.Context) (took, perInst figure) {
	fail := func(metric string, err error) (figure, figure) {
		f := b.rep.problem(colEmbedded, metric, err)
		return f, f
	}
	name := "hearth instances"
	b.progress("starting %s", name)
	h, err := startHearth(ctx, b.ps, b.cfg.hearth, name, filepath.Join(b.tmp, "hearth-instances"))
	if err != nil {
		return fail("start", err)
	}
	if err := h.addInstance(ctx, b.c, "warm-up.bench.test"); err != nil {
		return fail("add instance", err)
	}
	pid := h.proc.cmd.Process.Pid
	sleepCtx(ctx, b.cfg.settle)
	before, err := rssBytes(pid)
	if err != nil {
		return fail("memory", err)
	}
	b.progress("adding %d instances", b.cfg.instances)
	start := time.Now()
	if err := b.addInstances(ctx, h); err != nil {
		return fail("add instances", err)
	}
	took = val(time.Since(start).Seconds())
	sleepCtx(ctx, b.cfg.settle)
	after, err := rssBytes(pid)
	if err != nil {
		_, f := fail("memory", err)
		return took, f
	}
	b.rep.remark("hearth instances: VmRSS %.1f MB before, %.1f MB after %d instances (after %v settling)",
		float64(before)/1e6, float64(after)/1e6, b.cfg.instances, b.cfg.settle)
	return took, val(float64(after-before) / float64(b.cfg.instances) / 1024)
}

// addInstances adds b.cfg.instances instances with b.cfg.clients concurrent callers; it stops
// at the first failure.
func (b *bench) addInstances(ctx context.Context, h *hearth) error {
	return b.concurrently(ctx, b.cfg.instances, 10*time.Minute, func(ctx context.Context, i int) error {
		return h.addInstance(ctx, b.c, fmt.Sprintf("i%06d.bench.test", i))
	})
}

// concurrently runs job(0) … job(n-1) with b.cfg.clients concurrent callers within timeout,
// and stops at the first failure, which it returns.
func (b *bench) concurrently(ctx context.Context, n int, timeout time.Duration, job func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range b.cfg.clients {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(n) && ctx.Err() == nil; i = next.Add(1) - 1 {
				if err := job(ctx, int(i)); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
