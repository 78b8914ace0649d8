// Package realtime carries the Data System's events from writers to subscribers: an event hub
// (in-process, or Redis pub/sub when several runtimes share instances) and the /realtime
// WebSocket.
//
// WebSocket protocol, JSON text messages:
//
//	→ {"method":"AUTH","payload":"<token>"}            first message, unless the upgrade request had Authorization: Bearer
//	→ {"method":"SUBSCRIBE","payload":{"type":"io.hearth.notes"}}
//	← {"event":"SUBSCRIBED","payload":{"type":"io.hearth.notes"}}   from here on no event of that doctype is missed
//	← {"event":"CREATED"|"UPDATED"|"DELETED","payload":{"type":…,"id":…,"rev":…,"doc":{…}}}
//	→ {"method":"UNSUBSCRIBE","payload":{"type":"io.hearth.notes"}}
//	← {"event":"error","payload":{"status":"403","title":"forbidden","detail":"…","type":"…"}}
//
// Events of one instance arrive in the order they were published.
package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
)

// Event is one change to a document.
type Event struct {
	Doctype string          `json:"doctype"`
	ID      string          `json:"id"`
	Rev     string          `json:"rev"`
	Verb    string          `json:"verb"` // created, updated or deleted
	Doc     json.RawMessage `json:"doc,omitempty"`
}

// Hub carries events between writers and subscribers of the same instance.
type Hub interface {
	Publish(ctx context.Context, instance string, ev Event) error
	Subscribe(ctx context.Context, instance string, doctypes ...string) (*Subscription, error)
	Close() error
}

// ErrClosed is returned by a hub that was closed.
var ErrClosed = errors.New("realtime: hub closed")

// subscriptionBuffer is how many events a subscriber may lag behind before it is dropped.
const subscriptionBuffer = 1024

// Subscription receives the events of some doctypes of one instance.
type Subscription struct {
	instance string
	c        chan Event
	onClose  func(*Subscription)

	mu       sync.Mutex
	doctypes map[string]bool // guarded by mu
	closed   bool            // guarded by mu
	overflow bool            // guarded by mu
}

// C delivers the events; it is closed when the subscription ends.
func (s *Subscription) C() <-chan Event { return s.c }

// Overflowed reports whether the subscription ended because its reader fell too far behind.
func (s *Subscription) Overflowed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.overflow
}

// Add subscribes to more doctypes.
func (s *Subscription) Add(doctypes ...string) {
	s.mu.Lock()
	for _, d := range doctypes {
		s.doctypes[d] = true
	}
	s.mu.Unlock()
}

// Remove stops receiving doctypes.
func (s *Subscription) Remove(doctypes ...string) {
	s.mu.Lock()
	for _, d := range doctypes {
		delete(s.doctypes, d)
	}
	s.mu.Unlock()
}

// Close ends the subscription.
func (s *Subscription) Close() {
	if s.end(false) {
		s.onClose(s)
	}
}

// end closes the channel once; it reports whether this call did it.
func (s *Subscription) end(overflow bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.closed, s.overflow = true, overflow
	close(s.c)
	return true
}

// offer delivers ev without blocking; a full buffer ends the subscription.
func (s *Subscription) offer(ev Event) (dropped bool) {
	s.mu.Lock()
	if s.closed || !s.doctypes[ev.Doctype] {
		s.mu.Unlock()
		return false
	}
	select {
	case s.c <- ev:
		s.mu.Unlock()
		return false
	default:
		s.mu.Unlock()
		return s.end(true)
	}
}
