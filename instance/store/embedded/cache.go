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
	mu   sync.Mutex
	used int                   // guarded by mu: bytes held
	lru  list.List             // guarded by mu: *cacheEntry, most recently used first
	dbs  map[*handle]*cachedDB // guarded by mu: per open database
}

// cachedDB is what the cache holds of one database.
type cachedDB struct {
	gen   uint64                   // commits seen
	items map[string]*list.Element // by document id
}

type cacheEntry struct {
	h    *handle
	id   string
	rev  string
	body []byte
}

func newDocCache() *docCache {
	return &docCache{dbs: map[*handle]*cachedDB{}}
}

// db returns what the cache holds of h, creating it if needed. c.mu must be held.
func (c *docCache) db(h *handle) *cachedDB {
	d := c.dbs[h]
	if d == nil {
		d = &cachedDB{items: map[string]*list.Element{}}
		c.dbs[h] = d
	}
	return d
}

// get returns the cached winner of id, if any.
func (c *docCache) get(h *handle, id string) (rev string, body []byte, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.dbs[h]
	if d == nil {
		return "", nil, false
	}
	e, ok := d.items[id]
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
	return c.db(h).gen
}

// put caches what a read found, unless a commit of h came between gen and now: the read may
// then be older than the commit's invalidation.
func (c *docCache) put(h *handle, id, rev string, body []byte, gen uint64) {
	if len(body) > cacheMaxBody {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.dbs[h]
	if d == nil || d.gen != gen { // a commit came, or the database closed
		return
	}
	if e, ok := d.items[id]; ok {
		c.remove(e)
	}
	d.items[id] = c.lru.PushFront(&cacheEntry{h: h, id: id, rev: rev, body: body})
	c.used += entrySize(id, body)
	for c.used > cacheBudget {
		c.remove(c.lru.Back())
	}
}

// invalidate drops the documents a commit of h changed and counts the commit.
func (c *docCache) invalidate(h *handle, events []changeEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.db(h)
	d.gen++
	for _, ev := range events {
		if e, ok := d.items[ev.id]; ok {
			c.remove(e)
		}
	}
}

// forget drops everything of a database being closed.
func (c *docCache) forget(h *handle) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.dbs[h]
	if d == nil {
		return
	}
	for _, e := range d.items {
		c.remove(e)
	}
	delete(c.dbs, h)
}

// remove drops an entry. c.mu must be held.
func (c *docCache) remove(e *list.Element) {
	ent := e.Value.(*cacheEntry)
	c.lru.Remove(e)
	delete(c.dbs[ent.h].items, ent.id)
	c.used -= entrySize(ent.id, ent.body)
}

// entrySize is what an entry counts against the budget.
func entrySize(id string, body []byte) int { return len(body) + len(id) + 64 }
