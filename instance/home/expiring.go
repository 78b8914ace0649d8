package home

import (
	"sync"
	"time"
)

// expiring is a map whose entries are trusted until a time: the caches that spare the hot
// path of app origins a signature check or a read of the owner's session. Bounded: it is
// emptied when it holds maxExpiring entries.
type expiring[V any] struct {
	mu sync.Mutex
	m  map[string]expiringEntry[V] // guarded by mu
}

type expiringEntry[V any] struct {
	v     V
	until time.Time
}

const maxExpiring = 100_000

func (e *expiring[V]) get(key string, now time.Time) (V, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	en, ok := e.m[key]
	if !ok || !now.Before(en.until) {
		var zero V
		return zero, false
	}
	return en.v, true
}

func (e *expiring[V]) put(key string, v V, until time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil || len(e.m) >= maxExpiring {
		e.m = map[string]expiringEntry[V]{}
	}
	e.m[key] = expiringEntry[V]{v: v, until: until}
}

func (e *expiring[V]) forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, key)
}

// forgetAllBut drops every entry but keep's.
func (e *expiring[V]) forgetAllBut(keep string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	en, ok := e.m[keep]
	e.m = map[string]expiringEntry[V]{}
	if ok {
		e.m[keep] = en
	}
}
