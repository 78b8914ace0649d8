package proxy

import (
	"sync"
)

// Sizes of the file cache.
const (
	// DefaultFileCacheSize is a sensible bound for a runtime's FileCache.
	DefaultFileCacheSize = 64 << 20
	// MaxCachedFile is the size of the largest file a FileCache keeps; larger files are read
	// from the tree on every request.
	MaxCachedFile = 256 << 10
)

// entryOverhead is what an entry costs beside its bytes: its key, struct and map slot.
const entryOverhead = 256

// FileCache keeps small files of installed trees in memory, with what their responses need
// (type, ETag, a gzip variant), so that serving them takes no system call. Installed trees
// never change (a tree hash names one), so entries never go stale; the least recently used
// ones go when the cache is full. One FileCache is meant to be shared by every Static of a
// runtime: instances with the same app version then share its files. It is safe for
// concurrent use; a nil *FileCache caches nothing.
type FileCache struct {
	max int64 // bytes

	mu    sync.Mutex
	byKey map[cacheKey]*cacheEntry // guarded by mu
	lru   cacheEntry               // guarded by mu: sentinel of the ring, most recent first
	size  int64                    // guarded by mu: the cost of the entries
}

// NewFileCache returns a cache holding at most maxBytes of files (DefaultFileCacheSize when
// maxBytes is not positive).
func NewFileCache(maxBytes int64) *FileCache {
	if maxBytes <= 0 {
		maxBytes = DefaultFileCacheSize
	}
	c := &FileCache{max: maxBytes, byKey: map[cacheKey]*cacheEntry{}}
	c.lru.prev, c.lru.next = &c.lru, &c.lru
	return c
}

// Stats reports how many files the cache holds and what they cost in bytes.
func (c *FileCache) Stats() (files int, bytes int64) {
	if c == nil {
		return 0, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byKey), c.size
}

// cacheKey names a file of a tree: the tree's hash and the file's clean name in it, as
// filePath gives it.
type cacheKey struct {
	tree, name string
}

type cacheEntry struct {
	key        cacheKey
	file       *fileEntry
	cost       int64
	prev, next *cacheEntry // guarded by FileCache.mu
}

// fits reports whether a file of size bytes may be cached.
func (c *FileCache) fits(size int64) bool {
	return c != nil && size <= MaxCachedFile && size+entryOverhead <= c.max
}

// get returns the file of key and marks it recently used, or nil.
func (c *FileCache) get(key cacheKey) *fileEntry {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.byKey[key]
	if e == nil {
		return nil
	}
	if c.lru.next != e {
		e.unlink()
		c.pushFront(e)
	}
	return e.file
}

// put adds f under key, evicting the least recently used files to make room, and returns
// the entry the cache now holds for key: f, or the one another request put first.
func (c *FileCache) put(key cacheKey, f *fileEntry) *fileEntry {
	cost := f.cost() + int64(len(key.tree)+len(key.name)) + entryOverhead
	if c == nil || cost > c.max {
		return f
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.byKey[key]; e != nil {
		return e.file
	}
	for c.size+cost > c.max && c.lru.prev != &c.lru {
		old := c.lru.prev
		old.unlink()
		delete(c.byKey, old.key)
		c.size -= old.cost
	}
	e := &cacheEntry{key: key, file: f, cost: cost}
	c.pushFront(e)
	c.byKey[key] = e
	c.size += cost
	return f
}

func (c *FileCache) pushFront(e *cacheEntry) {
	e.prev, e.next = &c.lru, c.lru.next
	c.lru.next.prev = e
	c.lru.next = e
}

func (e *cacheEntry) unlink() {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}
