package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// maxErrors stops a throughput workload that keeps failing.
const maxErrors = 1000

// window is how long a throughput workload runs: a warm-up, then the measured part.
type window struct {
	warmup  time.Duration
	measure time.Duration
}

// rateResult is the outcome of a throughput workload.
type rateResult struct {
	perSec   float64 // operations per second over the measured part
	ops      int64   // operations that succeeded, warm-up included
	errs     int64   // operations that failed
	firstErr error
}

// err returns nil when every operation succeeded, else a summary of the failures.
func (r rateResult) err() error {
	if r.errs == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d operations failed, first: %w", r.errs, r.ops+r.errs, r.firstErr)
}

// op is one operation of worker w; i counts that worker's calls.
type op func(ctx context.Context, w, i int) error

// runRate runs op in a loop in each of n workers for the window and measures the rate.
func runRate(ctx context.Context, win window, n int, fn op) rateResult {
	total := win.warmup + win.measure
	ctx, cancel := context.WithTimeout(ctx, total+30*time.Second)
	defer cancel()
	var ok, errs atomic.Int64
	var mu sync.Mutex
	var first error // guarded by mu
	deadline := time.Now().Add(total)
	var wg sync.WaitGroup
	for w := range n {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				if err := fn(ctx, w, i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					if errs.Add(1) >= maxErrors {
						cancel()
					}
					continue
				}
				ok.Add(1)
			}
		})
	}
	perSec := measureWindow(ctx, win, &ok)
	wg.Wait()
	return rateResult{perSec: perSec, ops: ok.Load(), errs: errs.Load(), firstErr: first}
}

// measureWindow waits out the warm-up, then counts what completes during the measured part.
func measureWindow(ctx context.Context, win window, count *atomic.Int64) float64 {
	if !sleepCtx(ctx, win.warmup) {
		return 0
	}
	c0, t0 := count.Load(), time.Now()
	if !sleepCtx(ctx, win.measure) {
		return 0
	}
	return float64(count.Load()-c0) / time.Since(t0).Seconds()
}

// sleepCtx waits d unless ctx ends first; it reports whether d elapsed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
