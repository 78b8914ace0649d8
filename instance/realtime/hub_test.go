package realtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestHub runs the same behaviour against every backend.
func TestHub(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(t *testing.T, pub, sub Hub)
	}{
		{"order", testOrder},
		{"fan-out by doctype and instance", testFanOut},
		{"add and remove doctypes", testAddRemove},
		{"slow subscriber", testSlowSubscriber},
		{"concurrent publishers", testConcurrentPublishers},
		{"close", testClose},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					pub, sub := b.open(t)
					tt.run(t, pub, sub)
				})
			}
		})
	}
}

func testOrder(t *testing.T, pub, sub Hub) {
	inst := newInstance(t)
	s := subscribe(t, sub, inst, "io.hearth.notes")
	const n = 500
	for i := range n {
		publish(t, pub, inst, note("io.hearth.notes", i))
	}
	for i := range n {
		got := receive(t, s)
		if want := note("io.hearth.notes", i); got.ID != want.ID || got.Rev != want.Rev || string(got.Doc) != string(want.Doc) {
			t.Fatalf("event %d = %+v, want %+v", i, got, want)
		}
	}
}

func testFanOut(t *testing.T, pub, sub Hub) {
	alice, bob := newInstance(t), newInstance(t)
	notes1 := subscribe(t, sub, alice, "io.hearth.notes", "io.hearth.end")
	notes2 := subscribe(t, sub, alice, "io.hearth.notes", "io.hearth.files", "io.hearth.end")
	files := subscribe(t, sub, alice, "io.hearth.files", "io.hearth.end")
	bobNotes := subscribe(t, sub, bob, "io.hearth.notes", "io.hearth.end")

	publish(t, pub, alice, note("io.hearth.notes", 1))
	publish(t, pub, alice, note("io.hearth.files", 2))
	publish(t, pub, bob, note("io.hearth.notes", 3))
	publish(t, pub, alice, note("io.hearth.end", 9))
	publish(t, pub, bob, note("io.hearth.end", 9))

	for _, c := range []struct {
		name string
		s    *Subscription
		want []string
	}{
		{"alice notes", notes1, []string{"doc1", "doc9"}},
		{"alice notes and files", notes2, []string{"doc1", "doc2", "doc9"}},
		{"alice files", files, []string{"doc2", "doc9"}},
		{"bob notes", bobNotes, []string{"doc3", "doc9"}},
	} {
		for _, id := range c.want {
			if got := receive(t, c.s); got.ID != id {
				t.Errorf("%s: got %s, want %s", c.name, got.ID, id)
			}
		}
	}
}

// testAddRemove checks that Add and Remove take effect for events published after them.
// (Events published just before may be delivered or not: the Redis hub filters on receipt.)
func testAddRemove(t *testing.T, pub, sub Hub) {
	inst := newInstance(t)
	s := subscribe(t, sub, inst, "io.hearth.files")
	publish(t, pub, inst, note("io.hearth.notes", 1))
	publish(t, pub, inst, note("io.hearth.files", 2))
	if got := receive(t, s); got.ID != "doc2" {
		t.Fatalf("got %s, want doc2", got.ID)
	}
	s.Add("io.hearth.notes")
	publish(t, pub, inst, note("io.hearth.notes", 3))
	if got := receive(t, s); got.ID != "doc3" {
		t.Fatalf("got %s, want doc3", got.ID)
	}
	s.Remove("io.hearth.notes")
	publish(t, pub, inst, note("io.hearth.notes", 4))
	publish(t, pub, inst, note("io.hearth.files", 5))
	if got := receive(t, s); got.ID != "doc5" {
		t.Fatalf("got %s, want doc5", got.ID)
	}
}

// testSlowSubscriber checks that a subscriber that does not read neither blocks the publisher
// nor the other subscribers, and is ended with ErrOverflow.
func testSlowSubscriber(t *testing.T, pub, sub Hub) {
	inst := newInstance(t)
	slow := subscribe(t, sub, inst, "io.hearth.notes")
	fast := subscribe(t, sub, inst, "io.hearth.notes")
	const n = SubscriptionBuffer + 100
	for i := range n { // in step with the fast subscriber, which must not overflow
		publish(t, pub, inst, note("io.hearth.notes", i))
		if got := receive(t, fast); got.ID != note("", i).ID {
			t.Fatalf("fast subscriber: event %d is %s", i, got.ID)
		}
	}

	count := 0
	for range slow.C() {
		count++
	}
	if count > SubscriptionBuffer {
		t.Errorf("slow subscriber got %d events, more than its buffer", count)
	}
	if !errors.Is(slow.Err(), ErrOverflow) {
		t.Errorf("slow subscriber ended with %v, want ErrOverflow", slow.Err())
	}
}

// testConcurrentPublishers checks that every subscriber sees the same order.
func testConcurrentPublishers(t *testing.T, pub, sub Hub) {
	inst := newInstance(t)
	a := subscribe(t, sub, inst, "io.hearth.notes")
	b := subscribe(t, sub, inst, "io.hearth.notes")
	const writers, each = 4, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := pub.Publish(context.Background(), inst, note("io.hearth.notes", w*each+i)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	last := map[int]int{} // writer → last index seen by a
	for range writers * each {
		ea, eb := receive(t, a), receive(t, b)
		if ea.ID != eb.ID {
			t.Fatalf("subscribers disagree on order: %s and %s", ea.ID, eb.ID)
		}
		var n int
		if _, err := fmt.Sscanf(ea.ID, "doc%d", &n); err != nil {
			t.Fatal(err)
		}
		if prev, ok := last[n/each]; ok && prev >= n {
			t.Fatalf("writer %d's events out of order: %d after %d", n/each, n, prev)
		}
		last[n/each] = n
	}
}

func testClose(t *testing.T, pub, sub Hub) {
	inst := newInstance(t)
	s := subscribe(t, sub, inst, "io.hearth.notes")
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	for range s.C() {
	}
	if !errors.Is(s.Err(), ErrClosed) {
		t.Errorf("subscription ended with %v, want ErrClosed", s.Err())
	}
	if _, err := sub.Subscribe(context.Background(), inst); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close: %v, want ErrClosed", err)
	}
	if err := sub.Publish(context.Background(), inst, note("io.hearth.notes", 1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish after Close: %v, want ErrClosed", err)
	}
	s.Close() // no effect, no panic
}

// TestLocalHubForgetsInstances checks that instances without subscribers cost nothing.
func TestLocalHubForgetsInstances(t *testing.T) {
	t.Parallel()
	h := NewLocalHub()
	t.Cleanup(func() { _ = h.Close() })
	a := subscribe(t, h, "a", "io.hearth.notes")
	slow := subscribe(t, h, "b", "io.hearth.notes")
	for i := range SubscriptionBuffer + 1 {
		publish(t, h, "b", note("io.hearth.notes", i)) // overflows slow
	}
	for i := range 1000 {
		publish(t, h, fmt.Sprint("idle", i), note("io.hearth.notes", i))
	}
	if n := h.instances(); n != 1 {
		t.Fatalf("%d instances held, want 1 (a); overflowed b: %v", n, slow.Err())
	}
	a.Close()
	if n := h.instances(); n != 0 {
		t.Fatalf("%d instances held after the last subscriber left", n)
	}
}
