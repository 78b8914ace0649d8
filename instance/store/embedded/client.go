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

	"github.com/go-kivik/kivik/v4/driver"
)

type client struct {
	dir     string
	cache   *docCache
	opts    options
	stop    chan struct{}  // closed by Close to end the janitor
	done    chan struct{}  // closed when the janitor ended
	closing sync.WaitGroup // retired handles not closed yet

	mu       sync.Mutex
	handles  map[string]*handle // guarded by mu: open databases
	retiring map[string]*handle // guarded by mu: handles out of handles, being closed
	dying    map[string]bool    // guarded by mu: databases being destroyed
	closed   bool               // guarded by mu
}

var (
	_ driver.Client       = (*client)(nil)
	_ driver.ClientCloser = (*client)(nil)
)

func newClient(dir string, o options) *client {
	c := &client{dir: dir, opts: o, cache: newDocCache(), handles: map[string]*handle{},
		retiring: map[string]*handle{}, dying: map[string]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
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
	c.waitRetiredLocked(name)
	if c.closed {
		c.mu.Unlock()
		return errClosed
	}
	if _, err := os.Stat(c.path(name)); err == nil || c.dying[name] || c.handles[name] != nil {
		c.mu.Unlock()
		return newError(http.StatusPreconditionFailed, "file_exists",
			"The database could not be created, the file already exists.")
	}
	// The files are created without the lock; meanwhile, users of the database wait for it.
	h := newHandle(name, c.cache)
	h.refs = 1
	c.handles[name] = h
	c.mu.Unlock()
	err := h.open(c.path(name))
	if err != nil {
		c.mu.Lock()
		if c.handles[name] == h {
			delete(c.handles, name)
		}
		c.mu.Unlock()
		_ = c.removeFiles(name) // what open left; the open error is the one to report
	} else {
		err = syncDir(c.dir) // on failure the database exists, but may not survive a crash
	}
	c.release(h)
	c.mu.Lock()
	victims := c.trimLocked()
	c.mu.Unlock()
	c.closeLater(victims)
	return err
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
	if h != nil {
		c.retireLocked(h)
		h.doomed = true
		if h.refs == 0 {
			close(h.drained)
		}
	}
	c.mu.Unlock()
	if h != nil {
		select {
		case <-h.drained:
			_ = c.closeRetired(h) // the files go away below
		case <-ctx.Done():
			go func() { <-h.drained; _ = c.closeRetired(h) }() // the database stays
			return ctx.Err()
		}
	}
	c.mu.Lock()
	c.waitRetiredLocked(name) // a handle closing in the background may still delete its log
	c.mu.Unlock()
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
	for _, h := range hs {
		c.retireLocked(h)
	}
	c.mu.Unlock()
	close(c.stop)
	<-c.done
	var errs []error
	for _, h := range hs {
		errs = append(errs, c.closeRetired(h))
	}
	c.closing.Wait() // the handles closing in the background
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
