package embedded

import (
	"os"
	"sort"
	"time"
)

// A client keeps the databases in use open, and closes the others: those unused for
// opts.idleClose (the janitor), and the least recently used idle ones when more than
// opts.maxOpen are open (trim). A database is in use while a caller holds it (acquire to
// release: a read, a read transaction, a write waiting for its group commit) or while a live
// changes feed waits on it (watch). A closed database re-opens on its next use, with the same
// contents and sequence; only what was kept in memory is gone (the recent changes live feeds
// read, the cached documents).

// acquire returns the open handle of database name, opening it if needed; release it after
// use. The client's lock is not held while a database opens.
func (c *client) acquire(name string) (*handle, error) {
	c.mu.Lock()
	h := c.handles[name]
	if h == nil && !c.closed && !c.dying[name] {
		c.waitRetiredLocked(name)
		h = c.handles[name]
	}
	if c.closed {
		c.mu.Unlock()
		return nil, errClosed
	}
	opener := h == nil
	if opener {
		if _, err := os.Stat(c.path(name)); err != nil || c.dying[name] {
			c.mu.Unlock()
			return nil, errNoDB()
		}
		h = newHandle(name, c.cache)
		c.handles[name] = h
	}
	h.refs++
	c.mu.Unlock()
	if opener {
		_ = h.open(c.path(name)) // reported through h.openErr
		c.mu.Lock()
		victims := c.trimLocked()
		c.mu.Unlock()
		c.closeLater(victims)
	}
	<-h.ready
	if h.openErr != nil {
		c.mu.Lock()
		if c.handles[name] == h {
			delete(c.handles, name)
		}
		c.mu.Unlock()
		c.release(h)
		return nil, h.openErr
	}
	return h, nil
}

func (c *client) release(h *handle) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h.refs--
	h.lastUse = time.Now()
	if h.doomed && h.refs == 0 {
		close(h.drained)
	}
}

// watch marks h, which the caller holds, as waited on by a live changes feed until unwatch
// is called: it then stays open. Destroying the database does not wait for watchers: they
// wake on h.dead.
func (c *client) watch(h *handle) (unwatch func()) {
	c.mu.Lock()
	h.watchers++
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		h.watchers--
		h.lastUse = time.Now()
		c.mu.Unlock()
	}
}

// idle tells whether nobody uses h. c.mu must be held.
func (h *handle) idle() bool { return h.refs == 0 && h.watchers == 0 }

func (c *client) janitor() {
	defer close(c.done)
	t := time.NewTicker(c.opts.idleClose / 4)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case now := <-t.C:
			c.closeIdle(now.Add(-c.opts.idleClose))
		}
	}
}

// closeIdle closes the handles unused since before.
func (c *client) closeIdle(before time.Time) {
	c.mu.Lock()
	var idle []*handle
	for _, h := range c.handles {
		if h.idle() && h.lastUse.Before(before) {
			idle = append(idle, h)
			c.retireLocked(h)
		}
	}
	c.mu.Unlock()
	for _, h := range idle {
		_ = c.closeRetired(h) // nothing to report: the database was idle
	}
}

// trimLocked retires the least recently used idle handles beyond opts.maxOpen, for
// closeLater. c.mu must be held.
func (c *client) trimLocked() []*handle {
	excess := len(c.handles) - c.opts.maxOpen
	if excess <= 0 || c.closed {
		return nil
	}
	var idle []*handle
	for _, h := range c.handles {
		if h.idle() {
			idle = append(idle, h)
		}
	}
	if len(idle) > excess {
		sort.Slice(idle, func(i, j int) bool { return idle[i].lastUse.Before(idle[j].lastUse) })
		idle = idle[:excess]
	}
	for _, h := range idle {
		c.retireLocked(h)
	}
	return idle
}

// closeLater closes retired handles in the background: closing checkpoints the database's
// log, which the caller that opened another database should not wait for.
func (c *client) closeLater(hs []*handle) {
	if len(hs) == 0 {
		return
	}
	go func() {
		for _, h := range hs {
			_ = c.closeRetired(h) // nothing to report: the database was idle
		}
	}()
}

// retireLocked takes h out of the open databases; the caller then closes it with
// closeRetired. Until it is closed, opening, creating or destroying a database of the same
// name waits: SQLite deletes the log of a database by its name when its last connection
// closes. c.mu must be held.
func (c *client) retireLocked(h *handle) {
	if c.handles[h.name] == h {
		delete(c.handles, h.name)
	}
	c.retiring[h.name] = h
	c.closing.Add(1) // under c.mu, before Close waits
}

// closeRetired closes h, retired before.
func (c *client) closeRetired(h *handle) error {
	err := h.close()
	c.mu.Lock()
	if c.retiring[h.name] == h {
		delete(c.retiring, h.name)
	}
	c.mu.Unlock()
	c.closing.Done()
	return err
}

// waitRetiredLocked returns once no handle of database name is being closed; c.mu must be
// held, and is released while it waits.
func (c *client) waitRetiredLocked(name string) {
	for h := c.retiring[name]; h != nil; h = c.retiring[name] {
		c.mu.Unlock()
		<-h.gone
		c.mu.Lock()
		if c.retiring[name] == h {
			delete(c.retiring, name)
		}
	}
}
