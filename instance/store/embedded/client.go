package embedded

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/go-kivik/kivik/v4/driver"
)

// idleAfter is how long an unused database stays open.
const idleAfter = 60 * time.Second

// maxOpen is how many databases may stay open at once; beyond, the least recently used idle
// ones are closed (each open database holds a few file descriptors and page caches).
const maxOpen = 256

type client struct {
	dir     string
	cache   *docCache
	maxOpen int           // see maxOpen
	stop    chan struct{} // closed by Close to end the janitor
	done    chan struct{} // closed when the janitor ended

	mu      sync.Mutex
	handles map[string]*handle // guarded by mu: open databases
	dying   map[string]bool    // guarded by mu: databases being destroyed
	closed  bool               // guarded by mu
}

var (
	_ driver.Client       = (*client)(nil)
	_ driver.ClientCloser = (*client)(nil)
)

func newClient(dir string) *client {
	c := &client{dir: dir, maxOpen: maxOpen, cache: newDocCache(), handles: map[string]*handle{}, dying: map[string]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	go c.janitor()
	return c
}

func (c *client) Version(context.Context) (*driver.Version, error) {
	return &driver.Version{
		Version:     "3.3.3",
		Vendor:      "Hearth embedded",
		RawResponse: []byte(`{"couchdb":"Welcome","version":"3.3.3","vendor":{"name":"Hearth embedded"}}`),
	}, nil
}

func (c *client) path(name string) string { return filepath.Join(c.dir, fileName(name)) }

func (c *client) AllDBs(context.Context, driver.Options) ([]string, error) {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, e := range entries {
		if name, ok := dbNameOf(e.Name()); ok && !e.IsDir() {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (c *client) DBExists(_ context.Context, name string, _ driver.Options) (bool, error) {
	if validDBName(name) != nil {
		return false, nil
	}
	_, err := os.Stat(c.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func (c *client) CreateDB(_ context.Context, name string, _ driver.Options) error {
	if err := validDBName(name); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errClosed
	}
	if _, err := os.Stat(c.path(name)); err == nil || c.dying[name] {
		return newError(http.StatusPreconditionFailed, "file_exists",
			"The database could not be created, the file already exists.")
	}
	h := newHandle(name, c.cache)
	if err := h.open(c.path(name)); err != nil {
		_ = c.removeFiles(name) // what open left; the open error is the one to report
		return err
	}
	if err := syncDir(c.dir); err != nil {
		_ = h.close() // the sync error is the one to report
		return err
	}
	h.lastUse = time.Now()
	c.handles[name] = h
	go c.trim() // c.mu is held here
	return nil
}

func (c *client) DestroyDB(ctx context.Context, name string, _ driver.Options) error {
	if err := validDBName(name); err != nil {
		return err
	}
	c.mu.Lock()
	if c.dying[name] {
		c.mu.Unlock()
		return errNoDB()
	}
	c.dying[name] = true
	defer func() {
		c.mu.Lock()
		delete(c.dying, name)
		c.mu.Unlock()
	}()
	h := c.handles[name]
	delete(c.handles, name)
	if h != nil {
		h.doomed = true
		if h.refs == 0 {
			close(h.drained)
		}
	}
	c.mu.Unlock()
	if h != nil {
		select {
		case <-h.drained:
			_ = h.close() // the files go away below
		case <-ctx.Done():
			go func() { <-h.drained; _ = h.close() }() // the database stays
			return ctx.Err()
		}
	}
	return c.removeFiles(name)
}

// removeFiles deletes the files of database name.
func (c *client) removeFiles(name string) error {
	p := c.path(name)
	for _, ext := range []string{"-wal", "-shm", "-journal"} {
		_ = os.Remove(p + ext) // may not exist
	}
	if err := os.Remove(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return errNoDB()
		}
		return fmt.Errorf("embedded: destroy %s: %w", name, err)
	}
	return nil
}

func (c *client) DB(name string, _ driver.Options) (driver.DB, error) {
	if err := validDBName(name); err != nil {
		return nil, err
	}
	return &db{c: c, name: name}, nil
}

// acquire returns the open handle of database name, opening it if needed; release it after
// use. The client's lock is not held while a database opens.
func (c *client) acquire(name string) (*handle, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, errClosed
	}
	h := c.handles[name]
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
		c.trim()
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

func (c *client) janitor() {
	defer close(c.done)
	t := time.NewTicker(idleAfter / 4)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case now := <-t.C:
			c.closeIdle(now.Add(-idleAfter))
		}
	}
}

// closeIdle closes the handles unused since before.
func (c *client) closeIdle(before time.Time) {
	c.mu.Lock()
	var idle []*handle
	for name, h := range c.handles {
		if h.refs == 0 && h.lastUse.Before(before) {
			idle = append(idle, h)
			delete(c.handles, name)
		}
	}
	c.mu.Unlock()
	for _, h := range idle {
		h.close()
	}
}

// trim closes the least recently used idle databases beyond c.maxOpen.
func (c *client) trim() {
	c.mu.Lock()
	excess := len(c.handles) - c.maxOpen
	var idle []*handle
	if excess > 0 {
		for _, h := range c.handles {
			if h.refs == 0 {
				idle = append(idle, h)
			}
		}
		sort.Slice(idle, func(i, j int) bool { return idle[i].lastUse.Before(idle[j].lastUse) })
		idle = idle[:min(excess, len(idle))]
		for _, h := range idle {
			delete(c.handles, h.name)
		}
	}
	c.mu.Unlock()
	for _, h := range idle {
		_ = h.close() // nothing to report: the database was idle
	}
}

// Close closes every open database and stops the background work.
func (c *client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	hs := c.handles
	c.handles = map[string]*handle{}
	c.mu.Unlock()
	close(c.stop)
	<-c.done
	var errs []error
	for _, h := range hs {
		errs = append(errs, h.close())
	}
	return errors.Join(errs...)
}

// syncDir makes the creation of files in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("embedded: sync %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("embedded: sync %s: %w", dir, err)
	}
	return nil
}
