package embedded

import (
	"container/list"
	"sync"
)

// Budget of the document cache of one client, and the largest document it keeps.
const (
	cacheBudget  = 32 << 20
	cacheMaxBody = 256 << 10
)

// docCache keeps recently read winning revisions, rendered as plain Get returns them, so that
// reads of hot documents skip SQLite. A client's databases share it under one byte budget,
// least recently used first out. A database's writer drops the documents of each commit, and a
// read that raced a commit does not fill the cache (see put), so the cache never answers older
// than the file. It assumes, as the whole driver does, that one process writes a directory.
type docCache struct {
	mu    sync.Mutex
	used  int                        // guarded by mu: bytes held
	lru   list.List                  // guarded by mu: *cacheEntry, most recently used first
	items map[cacheKey]*list.Element // guarded by mu
	gens  map[*handle]uint64         // guarded by mu: commits seen per database
}

type cacheKey struct {
	h  *handle
	id string
}

type cacheEntry struct {
	key  cacheKey
	rev  string
	body []byte
}

func newDocCache() *docCache {
	return &docCache{items: map[cacheKey]*list.Element{}, gens: map[*handle]uint64{}}
}

// get returns the cached winner of id, if any.
func (c *docCache) get(h *handle, id string) (rev string, body []byte, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[cacheKey{h, id}]
	if !ok {
		return "", nil, false
	}
	c.lru.MoveToFront(e)
	ent := e.Value.(*cacheEntry)
	return ent.rev, ent.body, true
}

// gen is the number of commits of h the cache has seen; a reader takes it before reading.
func (c *docCache) gen(h *handle) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gens[h]
}

// put caches what a read found, unless a commit of h came between gen and now: the read may
// then be older than the commit's invalidation.
func (c *docCache) put(h *handle, id, rev string, body []byte, gen uint64) {
	if len(body) > cacheMaxBody {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gens[h] != gen {
		return
	}
	key := cacheKey{h, id}
	if e, ok := c.items[key]; ok {
		c.remove(e)
	}
	c.items[key] = c.lru.PushFront(&cacheEntry{key: key, rev: rev, body: body})
	c.used += len(body) + len(id) + 64
	for c.used > cacheBudget {
		c.remove(c.lru.Back())
	}
}

// invalidate drops the documents a commit of h changed and counts the commit.
func (c *docCache) invalidate(h *handle, events []changeEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gens[h]++
	for _, ev := range events {
		if e, ok := c.items[cacheKey{h, ev.id}]; ok {
			c.remove(e)
		}
	}
}

// forget drops everything of a database being closed.
func (c *docCache) forget(h *handle) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.gens, h)
	for e := c.lru.Front(); e != nil; {
		next := e.Next()
		if e.Value.(*cacheEntry).key.h == h {
			c.remove(e)
		}
		e = next
	}
}

func (c *docCache) remove(e *list.Element) {
	ent := e.Value.(*cacheEntry)
	c.lru.Remove(e)
	delete(c.items, ent.key)
	c.used -= len(ent.body) + len(ent.key.id) + 64
}
