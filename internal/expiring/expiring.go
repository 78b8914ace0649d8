// Package expiring is a map whose entries are trusted until a time: the small caches that
// spare a hot path a read or a signature check (an app's record, a checked cookie, a live
// session).
package expiring

import (
	"sync"
	"time"
)

// Map maps keys to values trusted until a time. The zero value is ready. It is bounded: it is
// emptied when it holds MaxEntries entries.
type Map[V any] struct {
	mu sync.Mutex
	m  map[string]entry[V] // guarded by mu
}

type entry[V any] struct {
	v     V
	until time.Time
}

// MaxEntries bounds a Map.
const MaxEntries = 100_000

// Get returns the value of key if it is still trusted at now.
func (e *Map[V]) Get(key string, now time.Time) (V, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	en, ok := e.m[key]
	if !ok || !now.Before(en.until) {
		var zero V
		return zero, false
	}
	return en.v, true
}

// Put trusts v for key until until.
func (e *Map[V]) Put(key string, v V, until time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil || len(e.m) >= MaxEntries {
		e.m = map[string]entry[V]{}
	}
	e.m[key] = entry[V]{v: v, until: until}
}

// Forget drops key.
func (e *Map[V]) Forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}

// ForgetAllBut drops every entry but keep's.
func (e *Map[V]) ForgetAllBut(keep string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	en, ok := e.m[keep]
	e.m = map[string]entry[V]{}
	if ok {
		e.m[keep] = en
	}
}
