package runtime

import (
	"context"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestGCPercentFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		live, headroom int64
		want           int
	}{
		{0, 32 << 20, maxGCPercent},
		{1 << 20, 32 << 20, maxGCPercent}, // 3200 %, bounded
		{4 << 20, 32 << 20, 800},
		{10 << 20, 32 << 20, 320},
		{10<<20 + 1, 32 << 20, 320}, // 319.99…: rounded up to tens
		{32 << 20, 32 << 20, 100},
		{1 << 30, 32 << 20, 100}, // a large heap: Go's default
	} {
		if got := gcPercentFor(tc.live, tc.headroom); got != tc.want {
			t.Errorf("gcPercentFor(%d, %d) = %d, want %d", tc.live, tc.headroom, got, tc.want)
		}
	}
}

// gcPercent reads GOGC.
func gcPercent() int {
	p := debug.SetGCPercent(baseGCPercent)
	debug.SetGCPercent(p)
	return p
}

func TestKeepGCHeadroom(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT is set: KeepGCHeadroom leaves them alone")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	KeepGCHeadroom(ctx, 1<<40) // more than any live heap: GOGC goes to its bound
	deadline := time.Now().Add(10 * time.Second)
	for gcPercent() != maxGCPercent {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC %d after collections, want %d", gcPercent(), maxGCPercent)
		}
		goruntime.GC()
		time.Sleep(time.Millisecond) // the finalizer goroutine runs after the collection: let it
	}
	cancel()
	for gcPercent() != baseGCPercent {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC %d after the context ended, want %d", gcPercent(), baseGCPercent)
		}
		time.Sleep(time.Millisecond)
	}
}
