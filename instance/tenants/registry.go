package tenants

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	kivik "github.com/go-kivik/kivik/v4"
)

// Registry finds instances by domain. It caches every record in memory and follows the
// database's changes feed, so that instances added or removed by another runtime are seen.
type Registry struct {
	db  *kivik.DB
	log *slog.Logger

	mu     sync.RWMutex
	byHost map[string]*Instance // guarded by mu
	byID   map[string]*Instance // guarded by mu
	stop   context.CancelFunc
	done   chan struct{}
}

// Open loads the instance records of client and starts following their changes.
func Open(ctx context.Context, client *kivik.Client, log *slog.Logger) (*Registry, error) {
	if err := client.CreateDB(ctx, DBName); err != nil && kivik.HTTPStatus(err) != http.StatusPreconditionFailed {
		return nil, fmt.Errorf("tenants: create %s: %w", DBName, err)
	}
	r := &Registry{db: client.DB(DBName), log: log, byHost: map[string]*Instance{}, byID: map[string]*Instance{}, done: make(chan struct{})}
	seq, err := r.load(ctx)
	if err != nil {
		return nil, err
	}
	fctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	go r.follow(fctx, seq)
	return r, nil
}

// Close stops following changes.
func (r *Registry) Close() {
	r.stop()
	<-r.done
}

func (r *Registry) load(ctx context.Context) (string, error) {
	info, err := r.db.Stats(ctx)
	if err != nil {
		return "", fmt.Errorf("tenants: %w", err)
	}
	rows := r.db.AllDocs(ctx, kivik.Param("include_docs", true))
	defer rows.Close()
	for rows.Next() {
		var inst Instance
		if err := rows.ScanDoc(&inst); err != nil {
			return "", fmt.Errorf("tenants: read record: %w", err)
		}
		r.byHost[inst.Domain], r.byID[inst.ID] = &inst, &inst
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("tenants: list: %w", err)
	}
	return info.UpdateSeq, nil
}

// follow applies the changes feed to the cache until ctx ends, reconnecting after errors.
func (r *Registry) follow(ctx context.Context, since string) {
	defer close(r.done)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		ch := r.db.Changes(ctx, kivik.Params(map[string]any{
			"feed": "continuous", "since": since, "include_docs": true, "timeout": 60000,
		}))
		for ch.Next() {
			backoff = 100 * time.Millisecond
			since = ch.Seq()
			if ch.Deleted() {
				r.forget(ch.ID())
				continue
			}
			var inst Instance
			if err := ch.ScanDoc(&inst); err != nil {
				r.log.Warn("tenants: bad instance record", "id", ch.ID(), "err", err)
				continue
			}
			r.remember(&inst)
		}
		err := ch.Err()
		_ = ch.Close()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			r.log.Warn("tenants: changes feed interrupted", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (r *Registry) remember(inst *Instance) {
	r.mu.Lock()
	r.byHost[inst.Domain], r.byID[inst.ID] = inst, inst
	r.mu.Unlock()
}

func (r *Registry) forget(domain string) {
	r.mu.Lock()
	if inst, ok := r.byHost[domain]; ok && r.byID[inst.ID] == inst {
		delete(r.byID, inst.ID)
	}
	delete(r.byHost, domain)
	r.mu.Unlock()
}

// CachedByID returns the instance whose id is id, if this runtime knows it.
func (r *Registry) CachedByID(id string) (*Instance, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	inst, ok := r.byID[id]
	return inst, ok
}

// Get returns the instance of domain.
func (r *Registry) Get(ctx context.Context, domain string) (*Instance, error) {
	r.mu.RLock()
	inst, ok := r.byHost[domain] // the common case: a known host, already normalized
	r.mu.RUnlock()
	if ok {
		return inst, nil
	}
	d, err := NormalizeDomain(domain)
	if err != nil {
		return nil, err
	}
	r.mu.RLock()
	inst, ok = r.byHost[d]
	r.mu.RUnlock()
	if ok {
		return inst, nil
	}
	// Not seen yet: another runtime may have added it a moment ago.
	var fresh Instance
	if err := r.db.Get(ctx, d).ScanDoc(&fresh); err != nil {
		if kivik.HTTPStatus(err) == http.StatusNotFound {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, d)
		}
		return nil, fmt.Errorf("tenants: %w", err)
	}
	r.remember(&fresh)
	return &fresh, nil
}

// Cached returns the instance of domain if this runtime already knows it, without reading
// storage: for hot paths that may only guess at a domain.
func (r *Registry) Cached(domain string) (*Instance, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	inst, ok := r.byHost[strings.ToLower(domain)]
	return inst, ok
}

// Lookup returns the instance a request's Host header names: the host with its port, else
// without it (for runtimes behind a proxy on another port).
func (r *Registry) Lookup(ctx context.Context, host string) (*Instance, error) {
	inst, err := r.Get(ctx, host)
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrBadDomain) {
		if h, _, splitErr := net.SplitHostPort(host); splitErr == nil {
			return r.Get(ctx, h)
		}
	}
	return inst, err
}

// Add creates the instance of domain: one record, nothing else.
func (r *Registry) Add(ctx context.Context, domain string) (*Instance, error) {
	d, err := NormalizeDomain(domain)
	if err != nil {
		return nil, err
	}
	inst, err := newInstance(d, time.Now())
	if err != nil {
		return nil, err
	}
	rev, err := r.db.Put(ctx, d, inst)
	if err != nil {
		if kivik.HTTPStatus(err) == http.StatusConflict {
			return nil, fmt.Errorf("%w: %s", ErrExists, d)
		}
		return nil, fmt.Errorf("tenants: add %s: %w", d, err)
	}
	inst.Rev = rev
	r.remember(inst)
	return inst, nil
}

// List returns every instance, sorted by domain.
func (r *Registry) List() []*Instance {
	r.mu.RLock()
	out := make([]*Instance, 0, len(r.byHost))
	for _, inst := range r.byHost {
		out = append(out, inst)
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Domain < out[j].Domain })
	return out
}

// Remove deletes the record of domain, so that the instance stops answering at once, and
// returns it so that the caller can destroy its data.
func (r *Registry) Remove(ctx context.Context, domain string) (*Instance, error) {
	inst, err := r.Get(ctx, domain)
	if err != nil {
		return nil, err
	}
	rev, err := r.db.GetRev(ctx, inst.Domain)
	if err != nil {
		return nil, fmt.Errorf("tenants: remove %s: %w", inst.Domain, err)
	}
	if _, err := r.db.Delete(ctx, inst.Domain, rev); err != nil {
		return nil, fmt.Errorf("tenants: remove %s: %w", inst.Domain, err)
	}
	r.forget(inst.Domain)
	return inst, nil
}

// SetState blocks or unblocks an instance.
func (r *Registry) SetState(ctx context.Context, domain, state string) (*Instance, error) {
	inst, err := r.Get(ctx, domain)
	if err != nil {
		return nil, err
	}
	next := *inst
	next.State = state
	rev, err := r.db.GetRev(ctx, inst.Domain)
	if err != nil {
		return nil, fmt.Errorf("tenants: %w", err)
	}
	next.Rev = rev
	if next.Rev, err = r.db.Put(ctx, next.Domain, &next); err != nil {
		return nil, fmt.Errorf("tenants: set state of %s: %w", inst.Domain, err)
	}
	r.remember(&next)
	return &next, nil
}
