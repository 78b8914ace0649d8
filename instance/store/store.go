// Package store opens the kivik client that holds every instance's documents, on the embedded
// driver or on a CouchDB server, and names the database of each instance's doctype.
package store

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	kivik "github.com/go-kivik/kivik/v4"
	"github.com/go-kivik/kivik/v4/couchdb"
)

// EmbeddedDriver is the kivik driver name of Hearth's embedded engine; cmd/ imports the driver
// package so that it registers under this name.
const EmbeddedDriver = "hearth"

// Config picks and configures the backend.
type Config struct {
	// CouchDBURL selects kivik's CouchDB driver when set (credentials may be in the URL).
	CouchDBURL string
	// Dir holds the embedded engine's files when CouchDBURL is empty.
	Dir string
}

// Backend names the backend a Config selects.
func (c Config) Backend() string {
	if c.CouchDBURL != "" {
		return "couchdb"
	}
	return "embedded"
}

// Open returns a kivik client on the configured backend.
func Open(ctx context.Context, cfg Config) (*kivik.Client, error) {
	if cfg.CouchDBURL != "" {
		return OpenCouchDB(ctx, cfg.CouchDBURL, nil)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	c, err := kivik.New(EmbeddedDriver, filepath.Clean(cfg.Dir))
	if err != nil {
		return nil, fmt.Errorf("store: open embedded engine in %s: %w", cfg.Dir, err)
	}
	return c, nil
}

// OpenCouchDB returns a client on kivik's CouchDB driver. Compression is off both ways:
// pouchdb-server breaks attachments and continuous feeds with it, and CouchDB gains little on
// a local network. A nil transport uses a clone of http.DefaultTransport.
func OpenCouchDB(ctx context.Context, url string, rt http.RoundTripper) (*kivik.Client, error) {
	if rt == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.DisableCompression = true
		t.MaxIdleConnsPerHost = 64
		rt = t
	}
	rt = strongETags{base: rt}
	c, err := kivik.New("couch", url,
		couchdb.OptionNoRequestCompression(),
		couchdb.OptionHTTPClient(&http.Client{Transport: rt}))
	if err != nil {
		return nil, fmt.Errorf("store: open CouchDB client: %w", err)
	}
	if _, err := c.Version(ctx); err != nil {
		return nil, fmt.Errorf("store: CouchDB at %s does not answer: %w", redact(url), err)
	}
	return c, nil
}

func redact(url string) string {
	if i := strings.Index(url, "@"); i > 0 {
		if j := strings.Index(url, "://"); j > 0 && j < i {
			return url[:j+3] + "…" + url[i:]
		}
	}
	return url
}

// DBName is the database holding doctype for the instance whose id is instanceID. Instance ids
// are lower-case hex and doctypes contain no underscore, so names never collide.
func DBName(instanceID, doctype string) string {
	return InstancePrefix(instanceID) + strings.ReplaceAll(doctype, ".", "_")
}

// InstancePrefix starts the name of every database of an instance.
func InstancePrefix(instanceID string) string { return "h" + instanceID + "_" }

// DBs opens databases and creates them on first write, remembering which exist.
type DBs struct {
	Client *kivik.Client

	known sync.Map // database name → struct{}: databases known to exist
}

// Open returns the database name. With create, a missing database is created; without, ok
// reports whether it exists, so a read of a doctype never written answers as empty.
func (d *DBs) Open(ctx context.Context, name string, create bool) (db *kivik.DB, ok bool, err error) {
	if _, seen := d.known.Load(name); !seen {
		exists, err := d.Client.DBExists(ctx, name)
		if err != nil {
			return nil, false, fmt.Errorf("store: check database: %w", err)
		}
		if !exists && !create {
			return nil, false, nil
		}
		if !exists {
			err := d.Client.CreateDB(ctx, name)
			if err != nil && kivik.HTTPStatus(err) != http.StatusPreconditionFailed {
				return nil, false, fmt.Errorf("store: create database: %w", err)
			}
		}
		d.known.Store(name, struct{}{})
	}
	return d.Client.DB(name), true, nil
}

// Forget drops what is remembered about databases whose name starts with prefix, after they
// were destroyed.
func (d *DBs) Forget(prefix string) {
	d.known.Range(func(k, _ any) bool {
		if strings.HasPrefix(k.(string), prefix) {
			d.known.Delete(k)
		}
		return true
	})
}
