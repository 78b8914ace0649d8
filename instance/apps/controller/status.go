package controller

import (
	"slices"
	"strings"
	"time"
)

// State is where an app is in its life.
type State string

// The states of an app.
const (
	StateStopped  State = "stopped"  // not running; the next request starts it
	StateStarting State = "starting" // installing or starting, until its socket accepts
	StateRunning  State = "running"
	StateStopping State = "stopping" // idle, updated or removed: stopping
	StateCrashed  State = "crashed"  // exited by itself; restarts on a request after RetryAt
	StateFailed   State = "failed"   // did not start; tries again on a request after RetryAt
)

// Status is what the controller knows of an app.
type Status struct {
	State State
	PID   int    // of the running process; 0 when none
	User  string // the unix user the app runs as; empty: the runtime's own
	// Active counts the requests and WebSockets in progress.
	Active int
	// Restarts counts the starts that followed a crash or a failed start.
	Restarts int
	// LastExit is how the last process ended, such as "exit status 1".
	LastExit string
	// LastError says why the app is unavailable, in words the owner can read.
	LastError string
	StartedAt time.Time // when the running process started
	LastUsed  time.Time // when the last request or WebSocket ended
	// RetryAt, when crashed or failed, is the earliest time of the next start.
	RetryAt time.Time
	// Limits lists the resource limits that apply, such as "memory 512 MiB (cgroup v2
	// memory.max)".
	Limits []string
}

// Status returns the status of the app slug of instance; an app the controller never ran is
// stopped.
func (c *Controller) Status(instance, slug string) Status {
	p := c.lookup(instance, slug)
	if p == nil {
		return Status{State: StateStopped, Limits: c.limitNotes(c.asRoot)}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Status{
		State: p.state, Active: p.active, Restarts: p.restarts, LastExit: p.lastExit,
		LastError: p.lastError, StartedAt: p.startedAt, LastUsed: p.lastUsed,
		Limits: c.limitNotes(c.asRoot),
	}
	if p.cur != nil && p.state != StateCrashed && p.state != StateFailed {
		s.PID = p.cur.pid
	}
	if p.cur != nil && p.cur.rlimitErr != nil {
		s.Limits = slices.DeleteFunc(s.Limits, func(l string) bool { return strings.Contains(l, "RLIMIT") })
		s.Limits = append(s.Limits, "rlimits not set: "+p.cur.rlimitErr.Error())
	}
	if p.user != nil {
		s.User = p.user.name
	}
	if p.state == StateCrashed || p.state == StateFailed {
		s.RetryAt = p.retryAt
	}
	return s
}
