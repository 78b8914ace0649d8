package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// ChannelPrefix starts the name of every instance's Redis channel: hearth:events:<instance>.
const ChannelPrefix = "hearth:events:"

// ErrInterrupted ends the subscriptions of a Redis hub whose connection to Redis broke: events
// published meanwhile were lost, so their readers must resynchronise.
var ErrInterrupted = errors.New("realtime: event stream interrupted")

// RedisHub carries events through Redis pub/sub, so that a write on one runtime reaches the
// subscribers on every runtime. It holds one Redis pub/sub connection and is subscribed to an
// instance's channel only while this process has subscribers of that instance. An event goes
// through Redis even to the local subscribers, so each of them gets it exactly once.
type RedisHub struct {
	rdb    *redis.Client
	ps     *redis.PubSub
	local  *LocalHub // fans the received events out to this process's subscribers
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{} // closed when the receive loop returned

	mu       sync.Mutex
	channels map[string]*redisChannel // instance → state, while it has subscribers; guarded by mu
	pongs    map[string]chan struct{} // ping payload → waiter; guarded by mu
	nonce    uint64                   // last ping payload; guarded by mu

	closed atomic.Bool
}

// redisChannel is this process's subscription to one instance's channel.
type redisChannel struct {
	refs      int  // local subscriptions
	confirmed bool // Redis is known to have processed the SUBSCRIBE
}

var _ Hub = (*RedisHub)(nil)

// NewRedisHub starts a hub on rdb. The caller keeps ownership of rdb and closes it after the
// hub. Errors of the pub/sub connection are logged on log; go-redis reconnects.
func NewRedisHub(ctx context.Context, rdb *redis.Client, log *slog.Logger) (*RedisHub, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	h := &RedisHub{
		rdb: rdb, ps: rdb.Subscribe(ctx), local: NewLocalHub(), log: log,
		cancel: cancel, done: make(chan struct{}),
		channels: map[string]*redisChannel{}, pongs: map[string]chan struct{}{},
	}
	go h.receive(rctx)
	return h, nil
}

// Publish sends ev to every runtime subscribed to the instance, this one included.
func (h *RedisHub) Publish(ctx context.Context, instance string, ev Event) error {
	if h.closed.Load() {
		return ErrClosed
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("realtime: encode event: %w", err)
	}
	if err := h.rdb.Publish(ctx, ChannelPrefix+instance, b).Err(); err != nil {
		return fmt.Errorf("realtime: redis publish: %w", err)
	}
	return nil
}

// Subscribe starts receiving the instance's events of doctypes. It returns once Redis has
// confirmed the subscription, so no event published after it returns is missed.
func (h *RedisHub) Subscribe(ctx context.Context, instance string, doctypes ...string) (*Subscription, error) {
	s := newSubscription(instance, SubscriptionBuffer, doctypes)
	s.onEnd = func(s *Subscription) {
		h.local.remove(s)
		h.release(s.instance)
	}
	st, err := h.acquire(ctx, instance)
	if err != nil {
		return nil, err
	}
	if err := h.local.add(s); err != nil {
		h.release(instance)
		return nil, err
	}
	if err := h.confirm(ctx, st); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// acquire counts one more local subscriber of instance, subscribing to its channel for the
// first one. Subscribing under mu keeps SUBSCRIBE and UNSUBSCRIBE of a channel in order.
func (h *RedisHub) acquire(ctx context.Context, instance string) (*redisChannel, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed.Load() {
		return nil, ErrClosed
	}
	st := h.channels[instance]
	if st == nil {
		if err := h.ps.Subscribe(ctx, ChannelPrefix+instance); err != nil {
			// go-redis remembers the channel; forget it again.
			_ = h.ps.Unsubscribe(context.WithoutCancel(ctx), ChannelPrefix+instance)
			return nil, fmt.Errorf("realtime: redis subscribe: %w", err)
		}
		st = &redisChannel{}
		h.channels[instance] = st
	}
	st.refs++
	return st, nil
}

// release counts one local subscriber of instance less, unsubscribing after the last one.
func (h *RedisHub) release(instance string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.channels[instance]
	if st == nil {
		return
	}
	if st.refs--; st.refs > 0 {
		return
	}
	delete(h.channels, instance)
	if h.closed.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.ps.Unsubscribe(ctx, ChannelPrefix+instance); err != nil {
		h.log.Warn("realtime: redis unsubscribe", "instance", instance, "err", err)
	}
}

// confirm waits until Redis has processed the subscription of st. A PING written after the
// SUBSCRIBE on the same connection is answered after it; go-redis resubscribes a reconnected
// connection before writing to it, so a PONG proves the subscription in every case. A PING
// lost in a reconnection is sent again.
func (h *RedisHub) confirm(ctx context.Context, st *redisChannel) error {
	for {
		h.mu.Lock()
		if st.confirmed {
			h.mu.Unlock()
			return nil
		}
		h.nonce++
		payload := "hearth-confirm-" + strconv.FormatUint(h.nonce, 10)
		pong := make(chan struct{})
		h.pongs[payload] = pong
		h.mu.Unlock()

		ok, err := h.ping(ctx, payload, pong)
		h.mu.Lock()
		delete(h.pongs, payload)
		if ok {
			st.confirmed = true
		}
		h.mu.Unlock()
		if err != nil {
			return fmt.Errorf("realtime: redis subscription not confirmed: %w", err)
		}
	}
}

// ping sends payload and waits a second for its answer; it reports whether it came.
func (h *RedisHub) ping(ctx context.Context, payload string, pong <-chan struct{}) (bool, error) {
	if err := h.ps.Ping(ctx, payload); err != nil {
		h.log.Warn("realtime: redis ping", "err", err)
	}
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-pong:
		return true, nil
	case <-t.C:
		return false, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// Close stops receiving and ends every subscription with ErrClosed.
func (h *RedisHub) Close() error {
	if h.closed.Swap(true) {
		return nil
	}
	h.cancel()
	err := h.ps.Close()
	<-h.done
	_ = h.local.Close()
	if err != nil {
		return fmt.Errorf("realtime: close redis pub/sub: %w", err)
	}
	return nil
}
