package realtime

import (
	"context"
	"sync"
)

// LocalHub delivers events to subscribers of the same process. Its zero value is not usable;
// call NewLocalHub.
type LocalHub struct {
	mu     sync.Mutex
	subs   map[string]map[*Subscription]struct{} // instance → subscriptions; guarded by mu
	closed bool                                  // guarded by mu
}

// NewLocalHub returns an in-process hub.
func NewLocalHub() *LocalHub {
	return &LocalHub{subs: map[string]map[*Subscription]struct{}{}}
}

var _ Hub = (*LocalHub)(nil)

// Publish delivers ev to the instance's subscribers of its doctype. It never blocks on a
// subscriber: one that lags SubscriptionBuffer events behind is ended with ErrOverflow.
func (h *LocalHub) Publish(_ context.Context, instance string, ev Event) error {
	if !h.deliver(instance, ev) {
		return ErrClosed
	}
	return nil
}

// Listening reports whether the instance has a subscriber in this process, so that a publisher
// can skip preparing an event nobody would receive.
func (h *LocalHub) Listening(instance string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[instance]) > 0
}

// deliver offers ev to the instance's subscribers; it reports false if the hub is closed.
// Holding mu while offering keeps the events of one instance in one order for every
// subscriber.
func (h *LocalHub) deliver(instance string, ev Event) bool {
	var dropped []*Subscription
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return false
	}
	for s := range h.subs[instance] {
		if s.offer(ev) {
			dropped = append(dropped, s)
		}
	}
	h.mu.Unlock()
	for _, s := range dropped {
		s.onEnd(s)
	}
	return true
}

// Subscribe starts receiving the instance's events of doctypes.
func (h *LocalHub) Subscribe(_ context.Context, instance string, doctypes ...string) (*Subscription, error) {
	s := newSubscription(instance, SubscriptionBuffer, doctypes)
	s.onEnd = h.remove
	if err := h.add(s); err != nil {
		return nil, err
	}
	return s, nil
}

// add registers s; the hub delivers to it from now on.
func (h *LocalHub) add(s *Subscription) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrClosed
	}
	set := h.subs[s.instance]
	if set == nil {
		set = map[*Subscription]struct{}{}
		h.subs[s.instance] = set
	}
	set[s] = struct{}{}
	return nil
}

// remove forgets s; an instance without subscribers leaves nothing behind.
func (h *LocalHub) remove(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.subs[s.instance]
	delete(set, s)
	if len(set) == 0 {
		delete(h.subs, s.instance)
	}
}

// instances counts the instances with subscribers (for tests).
func (h *LocalHub) instances() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Close ends every subscription with ErrClosed; later calls fail with ErrClosed.
func (h *LocalHub) Close() error {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.endAll(ErrClosed)
	return nil
}

// endAll ends every current subscription with err.
func (h *LocalHub) endAll(err error) {
	h.mu.Lock()
	all := h.subs
	h.subs = map[string]map[*Subscription]struct{}{}
	h.mu.Unlock()
	for _, set := range all {
		for s := range set {
			if s.end(err) {
				s.onEnd(s)
			}
		}
	}
}
