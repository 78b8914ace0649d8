package follow

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/hearth-cloud/hearth/registry/store"
)

var now = time.Now

// MaxBackoff bounds the wait before a failing peer is tried again.
const MaxBackoff = time.Hour

// Peers lists the peers to follow (store.Store.Peers does).
type Peers func(ctx context.Context) ([]store.Peer, error)

// Run syncs every peer once per interval until ctx ends. Peers are synced
// side by side, so one that hangs holds up no other; one that fails waits
// interval × 2^failures (at most MaxBackoff) before its next try.
func (f *Follower) Run(ctx context.Context, peers Peers, interval time.Duration) {
	log := f.log()
	var mu sync.Mutex // guards retry
	retry := map[int64]backoff{}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		list, err := peers(ctx)
		if err != nil && ctx.Err() == nil {
			log.Error("follow: list peers", "err", err)
		}
		var wg sync.WaitGroup
		for i := range list {
			p := &list[i]
			mu.Lock()
			b := retry[p.ID]
			mu.Unlock()
			if now().Before(b.next) {
				continue
			}
			wg.Go(func() {
				rep, err := f.Sync(ctx, p)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					b.failures++
					b.next = now().Add(min(interval<<min(b.failures, 20), MaxBackoff))
					retry[p.ID] = b
					if ctx.Err() == nil {
						log.Warn("follow: peer failed", "peer", p.URL, "failures", b.failures, "retry_at", b.next, "err", err)
					}
					return
				}
				delete(retry, p.ID)
				if rep.Applied+rep.Refused > 0 {
					log.Info("follow: synced", "peer", p.URL, "applied", rep.Applied, "skipped", rep.Skipped,
						"refused", rep.Refused, "reasons", rep.Reasons, "seq", rep.LastSeq)
				}
			})
		}
		wg.Wait()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

type backoff struct {
	failures int
	next     time.Time
}

func (f *Follower) log() *slog.Logger {
	if f.Log == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return f.Log
}
