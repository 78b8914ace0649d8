package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// receive reads the pub/sub connection until the hub is closed: events go to the local
// subscribers, in the order Redis sent them; pongs go to confirm.
func (h *RedisHub) receive(ctx context.Context) {
	defer close(h.done)
	failing := false
	backoff := 50 * time.Millisecond
	for {
		msg, err := h.ps.Receive(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, redis.ErrClosed) {
				return
			}
			if !failing {
				h.log.Error("realtime: redis pub/sub connection failed; local subscribers are told to resync", "err", err)
				h.interrupt()
				failing = true
			}
			if !sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		if failing {
			h.log.Info("realtime: redis pub/sub connection back")
			failing, backoff = false, 50*time.Millisecond
		}
		switch m := msg.(type) {
		case *redis.Message:
			h.dispatch(m)
		case *redis.Pong:
			h.pong(m.Payload)
		}
	}
}

// dispatch hands one event from Redis to the local subscribers of its instance.
func (h *RedisHub) dispatch(m *redis.Message) {
	instance, ok := strings.CutPrefix(m.Channel, ChannelPrefix)
	if !ok {
		return
	}
	var ev Event
	if err := json.Unmarshal([]byte(m.Payload), &ev); err != nil {
		h.log.Warn("realtime: bad event from redis", "channel", m.Channel, "err", err)
		return
	}
	h.local.deliver(instance, ev)
}

// pong wakes the confirm waiting for payload.
func (h *RedisHub) pong(payload string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c, ok := h.pongs[payload]; ok {
		close(c)
		delete(h.pongs, payload)
	}
}

// interrupt ends every local subscription with ErrInterrupted: while the connection was down,
// events were lost. Channels still subscribed must be confirmed again by later subscribers.
func (h *RedisHub) interrupt() {
	h.mu.Lock()
	for _, st := range h.channels {
		st.confirmed = false
	}
	h.mu.Unlock()
	h.local.endAll(ErrInterrupted)
}

// sleep waits d or until ctx ends; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
