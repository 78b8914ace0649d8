package runtime

import (
	"context"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// DefaultGCHeadroom is the headroom KeepGCHeadroom is meant to be given: what a few seconds of
// heavy app serving allocate, small beside a runtime's memory.
const DefaultGCHeadroom = 16 << 20

// Bounds of the GOGC that KeepGCHeadroom sets.
const (
	baseGCPercent = 100 // Go's default, kept once the live heap exceeds the headroom
	maxGCPercent  = 2000
)

// KeepGCHeadroom lets the heap grow by at least headroom bytes between two collections, however
// small the live heap, until ctx ends. With Go's default (GOGC=100) a runtime whose live heap
// is a few MB collects several times a second under load, and those collections cost a tenth
// of the time of serving small files. After each collection, GOGC is set to what gives the
// heap headroom bytes above the live heap, and never below 100: memory then grows with the live
// heap as by default once it exceeds the headroom (many instances), and before that the
// runtime keeps at most headroom bytes more than it needs. An operator's GOGC or GOMEMLIMIT in
// the environment is left alone.
func KeepGCHeadroom(ctx context.Context, headroom int64) {
	if headroom <= 0 || os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	var mu sync.Mutex
	done := false // guarded by mu, as GOGC's changes
	context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		done = true
		debug.SetGCPercent(baseGCPercent)
	})
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	last := 0
	afterEachGC(func() bool {
		mu.Lock()
		defer mu.Unlock()
		if done {
			return false
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return false // a Go without the metric: leave GOGC alone
		}
		if p := gcPercentFor(int64(sample[0].Value.Uint64()), headroom); p != last {
			debug.SetGCPercent(p)
			last = p
		}
		return true
	})
}

// gcPercentFor is the GOGC that gives a live heap of live bytes at least headroom bytes to
// grow, within [baseGCPercent, maxGCPercent], rounded to tens so that small changes of the
// live heap do not change it.
func gcPercentFor(live, headroom int64) int {
	if live <= 0 {
		return maxGCPercent
	}
	p := headroom * 100 / live
	p = (p + 9) / 10 * 10
	return int(min(max(p, baseGCPercent), maxGCPercent))
}

// gcSentinel is an object whose finalizer runs after each collection: it has a pointer, so
// that it is never put in a tiny block with others that would keep it alive.
type gcSentinel struct{ _ *byte }

// afterEachGC calls f on the finalizer goroutine after each garbage collection, until it
// returns false.
func afterEachGC(f func() bool) {
	var again func(*gcSentinel)
	again = func(s *gcSentinel) {
		if f() {
			goruntime.SetFinalizer(s, again)
		}
	}
	goruntime.SetFinalizer(&gcSentinel{}, again)
}
