package realtime

import (
	"context"
	"sync"
)

// LocalHub delivers events to subscribers of the same process.
type LocalHub struct {
	mu     sync.Mutex
	subs   map[string]map[*Subscription]struct{} // instance → subscriptions; guarded by mu
	closed bool                                  // guarded by mu

	// onFirst and onLast, when set, are called as an instance gains its first local subscriber
	// and loses its last one (the Redis hub subscribes and unsubscribes there).
	onFirst, onLast func(instance string)
}

// NewLocalHub returns an in-process hub.
func NewLocalHub() *LocalHub {
	return &LocalHub{subs: map[string]map[*Subscription]struct{}{}}
}

var _ Hub = (*LocalHub)(nil)

// Publish delivers ev to the instance's subscribers of its doctype.
func (h *LocalHub) Publish(_ context.Context, instance string, ev Event) error {
	h.deliver(instance, ev)
	return nil
}

func (h *LocalHub) deliver(instance string, ev Event) {
	h.mu.Lock()
	var dropped []*Subscription
	for s := range h.subs[instance] {
		if s.offer(ev) {
			dropped = append(dropped, s)
		}
	}
	h.mu.Unlock()
	for _, s := range dropped {
		h.remove(s)
	}
}

// Subscribe starts receiving the instance's events of doctypes.
func (h *LocalHub) Subscribe(_ context.Context, instance string, doctypes ...string) (*Subscription, error) {
	s := &Subscription{instance: instance, c: make(chan Event, subscriptionBuffer), doctypes: map[string]bool{}, onClose: h.remove}
	s.Add(doctypes...)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	set := h.subs[instance]
	first := set == nil
	if first {
		set = map[*Subscription]struct{}{}
		h.subs[instance] = set
	}
	set[s] = struct{}{}
	if first && h.onFirst != nil {
		h.onFirst(instance)
	}
	h.mu.Unlock()
	return s, nil
}

func (h *LocalHub) remove(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.subs[s.instance]
	if _, ok := set[s]; !ok {
		return
	}
	delete(set, s)
	if len(set) == 0 {
		delete(h.subs, s.instance)
		if h.onLast != nil {
			h.onLast(s.instance)
		}
	}
}

// Close ends every subscription.
func (h *LocalHub) Close() error {
	h.mu.Lock()
	h.closed = true
	all := h.subs
	h.subs = map[string]map[*Subscription]struct{}{}
	h.mu.Unlock()
	for _, set := range all {
		for s := range set {
			s.end(false)
		}
	}
	return nil
}
