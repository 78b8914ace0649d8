package realtime

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

const channelPrefix = "hearth:events:"

// RedisHub carries events through Redis pub/sub, so that a write on one runtime reaches the
// subscribers on every runtime. A process subscribes to an instance's channel only while it has
// local subscribers of that instance.
type RedisHub struct {
	rdb    *redis.Client
	ps     *redis.PubSub
	local  *LocalHub
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
	syncs  sync.Map // marker id → chan struct{}: Subscribe waiting to see its marker come back
}

// syncVerb marks an event published only to learn that a subscription is live.
const syncVerb = "_sync"

var _ Hub = (*RedisHub)(nil)

// NewRedisHub starts a hub on rdb. The caller keeps ownership of rdb.
func NewRedisHub(ctx context.Context, rdb *redis.Client, log *slog.Logger) (*RedisHub, error) {
	ps := rdb.Subscribe(ctx)
	rctx, cancel := context.WithCancel(context.Background())
	h := &RedisHub{rdb: rdb, ps: ps, local: NewLocalHub(), log: log, cancel: cancel, done: make(chan struct{})}
	// Both run under the local hub's lock, so (un)subscriptions happen in order.
	h.local.onFirst = func(instance string) {
		if err := ps.Subscribe(rctx, channelPrefix+instance); err != nil {
			log.Warn("realtime: redis subscribe", "instance", instance, "err", err)
		}
	}
	h.local.onLast = func(instance string) {
		if err := ps.Unsubscribe(rctx, channelPrefix+instance); err != nil {
			log.Warn("realtime: redis unsubscribe", "instance", instance, "err", err)
		}
	}
	go h.receive()
	return h, nil
}

func (h *RedisHub) receive() {
	defer close(h.done)
	for msg := range h.ps.Channel(redis.WithChannelSize(4096)) {
		var ev Event
		if err := json.Unmarshal([]byte(msg.Payload), &ev); err != nil {
			h.log.Warn("realtime: bad event from redis", "channel", msg.Channel, "err", err)
			continue
		}
		if ev.Verb == syncVerb {
			if c, ok := h.syncs.LoadAndDelete(ev.ID); ok {
				close(c.(chan struct{}))
			}
			continue
		}
		h.local.deliver(strings.TrimPrefix(msg.Channel, channelPrefix), ev)
	}
}

// Publish sends ev to every runtime subscribed to the instance, this one included.
func (h *RedisHub) Publish(ctx context.Context, instance string, ev Event) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("realtime: %w", err)
	}
	if err := h.rdb.Publish(ctx, channelPrefix+instance, b).Err(); err != nil {
		return fmt.Errorf("realtime: redis publish: %w", err)
	}
	return nil
}

// Subscribe starts receiving the instance's events of doctypes. When it returns, the Redis
// subscription is confirmed, so no later event is missed.
func (h *RedisHub) Subscribe(ctx context.Context, instance string, doctypes ...string) (*Subscription, error) {
	s, err := h.local.Subscribe(ctx, instance, doctypes...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	// The subscription is live once a marker published to the channel comes back.
	id := rand.Text()
	seen := make(chan struct{})
	h.syncs.Store(id, seen)
	defer h.syncs.Delete(id)
	if err := h.Publish(ctx, instance, Event{Verb: syncVerb, ID: id}); err != nil {
		s.Close()
		return nil, err
	}
	select {
	case <-seen:
		return s, nil
	case <-ctx.Done():
		s.Close()
		return nil, fmt.Errorf("realtime: redis subscription not confirmed: %w", ctx.Err())
	}
}

// Close stops receiving and ends every subscription.
func (h *RedisHub) Close() error {
	h.cancel()
	err := h.ps.Close()
	<-h.done
	_ = h.local.Close()
	return err
}
