package realtime

import "sync"

// Subscription receives the events of some doctypes of one instance. Its methods are safe for
// concurrent use.
type Subscription struct {
	instance string
	c        chan Event
	onEnd    func(*Subscription) // called once, outside hub locks, when the subscription ends

	mu       sync.Mutex
	doctypes map[string]bool // guarded by mu
	ended    bool            // guarded by mu
	err      error           // why it ended; guarded by mu
}

func newSubscription(instance string, buffer int, doctypes []string) *Subscription {
	s := &Subscription{instance: instance, c: make(chan Event, buffer), doctypes: map[string]bool{}}
	s.Add(doctypes...)
	return s
}

// C delivers the events in publish order; it is closed when the subscription ends.
func (s *Subscription) C() <-chan Event { return s.c }

// Err tells why C was closed: nil after Close, ErrOverflow when the reader fell too far
// behind (events were dropped), ErrClosed when the hub was closed.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Add starts receiving doctypes. Events published after Add returns are delivered; events
// published shortly before may be too (a Redis hub filters when it receives).
func (s *Subscription) Add(doctypes ...string) {
	s.mu.Lock()
	for _, d := range doctypes {
		s.doctypes[d] = true
	}
	s.mu.Unlock()
}

// Remove stops receiving doctypes: events published after Remove returns are not delivered;
// those already in C stay there.
func (s *Subscription) Remove(doctypes ...string) {
	s.mu.Lock()
	for _, d := range doctypes {
		delete(s.doctypes, d)
	}
	s.mu.Unlock()
}

// Close ends the subscription and closes C. It may be called more than once.
func (s *Subscription) Close() {
	if s.end(nil) {
		s.onEnd(s)
	}
}

// end closes C once, recording why; it reports whether this call did it.
func (s *Subscription) end(err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return false
	}
	s.ended, s.err = true, err
	close(s.c)
	return true
}

// offer queues ev without blocking. A full buffer ends the subscription with ErrOverflow; offer
// then reports true and the caller must call onEnd.
func (s *Subscription) offer(ev Event) (overflowed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended || !s.doctypes[ev.Doctype] {
		return false
	}
	select {
	case s.c <- ev:
		return false
	default:
		s.ended, s.err = true, ErrOverflow
		close(s.c)
		return true
	}
}
