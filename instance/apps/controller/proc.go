package controller

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httputil"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// proc supervises one app: its process, the requests in progress, its back-off.
type proc struct {
	c                  *Controller
	id, instance, slug string
	logs               *logFile
	transport          *socketTransport
	proxy              *httputil.ReverseProxy

	mu                  sync.Mutex // guards the fields below
	state               State
	app                 App           // of the current or last start
	cur                 *run          // the current or last process
	user                *unixUser     // the app's own user, once made
	ready               chan struct{} // closed when the current start attempt ends
	active              int           // requests and WebSockets in progress
	idle                *time.Timer
	idleGen             uint64 // invalidates idle timers armed before
	restarts            int
	crashed             bool // the last run crashed or failed: the next start is a restart
	backoff             time.Duration
	retryAt             time.Time
	startedAt, lastUsed time.Time
	idleSince           time.Time // real time the last request ended; guarded by mu
	lastExit, lastError string
	removed             bool
}

// lookup returns the app's proc, nil when the controller has none.
func (c *Controller) lookup(instance, slug string) *proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.procs[key(instance, slug)]
}

// proc returns the app's proc, made on first use.
func (c *Controller) proc(instance, slug string) *proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := key(instance, slug)
	if p, ok := c.procs[k]; ok {
		return p
	}
	id := c.hash(instance, slug)
	p := &proc{c: c, id: id, instance: instance, slug: slug, state: StateStopped,
		logs: newLogFile(c.logPath(id), logMax, c.log)}
	p.transport = newTransport(c.socketPath(id))
	p.proxy = p.newProxy()
	c.procs[k] = p
	return p
}

// acquire makes sure the app runs app's tree, starting it if needed, and counts a request in
// progress, until release. Its errors are *unavailable, or the context's.
func (p *proc) acquire(ctx context.Context, app App) error {
	p.mu.Lock()
	waited := false // this request waited for a start attempt
	for {
		if p.c.closed.Load() || p.removed {
			msg := "the server is shutting down"
			if p.removed {
				msg = "the app is being removed"
			}
			p.mu.Unlock()
			return &unavailable{status: http.StatusServiceUnavailable, msg: msg}
		}
		var wait chan struct{}
		switch p.state {
		case StateRunning:
			if p.app.Tree == app.Tree {
				p.active++
				p.mu.Unlock()
				return nil
			}
			p.logs.note("tree %s replaces tree %s: restarting", app.Tree, p.app.Tree)
			p.stopLocked()
			continue
		case StateStarting:
			wait, waited = p.ready, true
		case StateStopping:
			wait = p.cur.exited
		case StateCrashed, StateFailed:
			if waited || p.c.now().Before(p.retryAt) {
				err := p.unavailableLocked(waited)
				p.mu.Unlock()
				return err
			}
			p.startLocked(app)
			continue
		case StateStopped:
			p.startLocked(app)
			continue
		}
		p.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		}
		p.mu.Lock()
	}
}

// release ends a request counted by acquire.
func (p *proc) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.active--
	p.lastUsed = p.c.now()
	if p.active == 0 {
		p.idleSince = time.Now()
	}
}

// armIdleLocked starts the idle watch of a running app: one timer for the app's life, which
// looks at when the last request ended (requests touch no timer: that is the hot path), stops
// the app once it has been idle for IdleTimeout, and otherwise waits again.
func (p *proc) armIdleLocked() {
	p.stopIdleLocked()
	gen := p.idleGen
	p.idleSince = time.Now()
	var t *time.Timer
	t = time.AfterFunc(p.c.cfg.IdleTimeout, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if gen != p.idleGen || p.state != StateRunning {
			return
		}
		wait := p.c.cfg.IdleTimeout
		if p.active == 0 {
			if wait -= time.Since(p.idleSince); wait <= 0 {
				p.logs.note("no request for %s: stopping", p.c.cfg.IdleTimeout)
				p.stopLocked()
				return
			}
		}
		t.Reset(wait)
	})
	p.idle = t
}

func (p *proc) stopIdleLocked() {
	p.idleGen++
	if p.idle != nil {
		p.idle.Stop()
	}
}

// startLocked starts the app in the background; the state is starting until it listens or
// fails.
func (p *proc) startLocked(app App) {
	ready := make(chan struct{})
	p.state, p.app, p.ready = StateStarting, app, ready
	if p.crashed {
		p.restarts++
		p.crashed = false
	}
	if !p.c.goTracked(func() { p.launch(app, ready) }) {
		p.state = StateStopped
		close(ready)
	}
}

// launch runs a start attempt: build, process, wait for its socket.
func (p *proc) launch(app App, ready chan struct{}) {
	defer close(ready)
	r, err := p.start(app)
	if err == nil {
		if err = p.waitListening(r); err != nil {
			p.c.kill(r)
			<-r.exited
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if r != nil {
		select {
		case <-r.exited:
			if err == nil {
				err = errExited
			}
		default:
		}
	}
	if errors.Is(err, errExited) {
		err = &unavailable{status: http.StatusBadGateway, msg: fmt.Sprintf("the app failed to start: %s; its logs are on your home page", r.exitDesc)}
	}
	if err != nil {
		p.failLocked(err)
		return
	}
	p.state, p.startedAt, p.lastUsed, p.lastError = StateRunning, r.started, p.c.now(), ""
	p.logs.note("listening (pid %d)", r.pid)
	p.armIdleLocked()
}

var errExited = errors.New("controller: the app exited")

// failLocked records a failed start attempt.
func (p *proc) failLocked(err error) {
	msg := safeMessage(err)
	if msg == "" {
		msg = "the app could not be started: the server could not prepare it (its administrator finds why in the server's logs)"
	}
	p.c.log.Warn("controller: an app failed to start", "instance", p.instance, "slug", p.slug, "err", err)
	p.logs.note("%s", msg)
	p.state, p.lastError, p.crashed = StateFailed, msg, true
	p.scheduleRetryLocked(0)
}

// crashLocked records that the running app exited by itself.
func (p *proc) crashLocked(r *run) {
	p.stopIdleLocked()
	p.state, p.crashed = StateCrashed, true
	p.lastError = fmt.Sprintf("the app stopped unexpectedly: %s; its logs are on your home page", r.exitDesc)
	p.scheduleRetryLocked(p.c.now().Sub(r.started))
	p.c.log.Warn("controller: an app crashed", "instance", p.instance, "slug", p.slug, "exit", r.exitDesc, "retry_in", p.backoff)
}

// scheduleRetryLocked sets when the app may start again after a run of length ran: the
// back-off doubles from backoffMin to backoffMax, and starts over after a run of
// backoffReset.
func (p *proc) scheduleRetryLocked(ran time.Duration) {
	if p.backoff == 0 || ran >= p.c.backoffReset {
		p.backoff = p.c.backoffMin
	} else {
		p.backoff = min(2*p.backoff, p.c.backoffMax)
	}
	p.retryAt = p.c.now().Add(p.backoff)
}

// unavailableLocked is the answer to a request while the app is crashed or failed: 502 to
// the requests that waited for the failed start, 503 with Retry-After to the others.
func (p *proc) unavailableLocked(waited bool) *unavailable {
	u := &unavailable{status: http.StatusBadGateway, msg: p.lastError}
	if !waited {
		u.status = http.StatusServiceUnavailable
		u.retry = p.retryAt.Sub(p.c.now())
	}
	return u
}

// stopLocked asks the running app to stop: SIGTERM, SIGKILL after the grace period.
func (p *proc) stopLocked() {
	p.stopIdleLocked()
	p.state = StateStopping
	go p.c.terminate(p.cur)
}

// stop stops the app and waits until it has, or ctx is done. A crashed or failed app forgets
// its back-off.
func (p *proc) stop(ctx context.Context) error {
	p.mu.Lock()
	for {
		var wait chan struct{}
		switch p.state {
		case StateStarting:
			wait = p.ready
		case StateRunning:
			p.stopLocked()
			wait = p.cur.exited
		case StateStopping:
			wait = p.cur.exited
		default:
			if p.state != StateStopped {
				p.state, p.lastError = StateStopped, ""
			}
			p.backoff, p.retryAt, p.crashed = 0, time.Time{}, false
			p.mu.Unlock()
			return nil
		}
		p.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return fmt.Errorf("controller: stop %s of %s: %w", p.slug, p.instance, ctx.Err())
		}
		p.mu.Lock()
	}
}

// Stop stops the app slug of instance (on update or uninstall) and waits until it has; the
// next request starts it again.
func (c *Controller) Stop(ctx context.Context, instance, slug string) error {
	if p := c.lookup(instance, slug); p != nil {
		return p.stop(ctx)
	}
	return nil
}

// Remove stops the app and deletes its home, data, socket directory, logs and unix user (on
// uninstall with the data). The caller must have stopped routing requests to it.
func (c *Controller) Remove(instance, slug string) error {
	p := c.proc(instance, slug)
	p.mu.Lock()
	p.removed = true
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), c.grace+c.cfg.StartTimeout+10*time.Second)
	defer cancel()
	errs := []error{p.stop(ctx)}
	c.mu.Lock()
	delete(c.procs, key(instance, slug))
	c.mu.Unlock()
	errs = append(errs, p.logs.Close())
	for _, d := range []string{c.path("homes", p.id), filepath.Dir(c.socketPath(p.id)), filepath.Dir(c.logPath(p.id))} {
		errs = append(errs, os.RemoveAll(d))
	}
	errs = append(errs, c.removeCgroups(p.id))
	if c.asRoot {
		errs = append(errs, deleteUser(ctx, userName(p.id)))
	}
	return errors.Join(errs...)
}
