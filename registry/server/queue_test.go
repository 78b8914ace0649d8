package server

import "testing"

func TestRefreshQueueCoalesces(t *testing.T) {
	t.Parallel()
	q := newRefreshQueue()
	for range 5 {
		q.push(1)
	}
	q.push(2)
	if n := q.len(); n != 2 {
		t.Fatalf("%d waiting, want 2", n)
	}
	id, _ := q.pop()
	if id != 1 {
		t.Fatalf("pop %d", id)
	}
	q.push(1) // while it runs: once more after
	q.push(1)
	q.done(1)
	if n := q.len(); n != 2 {
		t.Fatalf("%d waiting after a trigger during the run, want 2", n)
	}
	q.pop()
	id, _ = q.pop()
	q.done(id)
	if n := q.len(); n != 0 {
		t.Fatalf("%d waiting, want 0", n)
	}
	q.close()
	if _, ok := q.pop(); ok {
		t.Error("pop after close")
	}
}
