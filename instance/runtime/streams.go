package runtime

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hearth-cloud/hearth/instance/auth"
	"github.com/hearth-cloud/hearth/instance/devices"
	"github.com/hearth-cloud/hearth/instance/tenants"
)

// errTokenEnded is the cause of a stream's end when its token expired or was revoked.
var errTokenEnded = errors.New("runtime: the token expired or was revoked")

// streams keeps the long-lived requests (a _changes feed that waits, a realtime connection) of
// each token subject, so that they end with their token: at its expiry, when the owner revokes
// the device, uninstalls the app or narrows its approval. Checking the token when a request
// starts covers the others.
type streams struct {
	mu    sync.Mutex
	bySub map[streamKey]map[*stream]struct{} // guarded by mu
}

// streamKey is a token subject of an instance.
type streamKey struct{ instance, subject string }

// stream is one long-lived request.
type stream struct {
	scopes []string // the token's
	cancel context.CancelCauseFunc
}

// bind returns ctx ending at the token's expiry and when its subject is revoked, and the
// function to call when the request ends.
func (s *streams) bind(ctx context.Context, instance string, claims auth.Claims) (context.Context, func()) {
	var stopDeadline context.CancelFunc = func() {}
	if claims.Expires != 0 {
		ctx, stopDeadline = context.WithDeadlineCause(ctx, time.Unix(claims.Expires, 0), errTokenEnded)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	if !revocable(claims.Subject) {
		return ctx, func() { cancel(nil); stopDeadline() }
	}
	key := streamKey{instance, claims.Subject}
	st := &stream{scopes: claims.Scopes, cancel: cancel}
	s.mu.Lock()
	if s.bySub == nil {
		s.bySub = map[streamKey]map[*stream]struct{}{}
	}
	set := s.bySub[key]
	if set == nil {
		set = map[*stream]struct{}{}
		s.bySub[key] = set
	}
	set[st] = struct{}{}
	s.mu.Unlock()
	return ctx, func() {
		s.mu.Lock()
		if _, ok := set[st]; ok { // a set is dropped only once empty: set is still bySub[key]
			delete(set, st)
			if len(set) == 0 {
				delete(s.bySub, key)
			}
		}
		s.mu.Unlock()
		cancel(nil)
		stopDeadline()
	}
}

// revocable tells whether a subject's tokens can die before they expire: a device's and an
// app's (the CLI's and the owner's tokens live until they expire).
func revocable(subject string) bool {
	return strings.HasPrefix(subject, devices.SubjectPrefix) || strings.HasPrefix(subject, "app:")
}

// end ends the streams of a subject whose token scopes lost returns true for; lost nil ends
// them all.
func (s *streams) end(instance, subject string, lost func(scopes []string) bool) {
	key := streamKey{instance, subject}
	s.mu.Lock()
	var ended []*stream
	for st := range s.bySub[key] {
		if lost == nil || lost(st.scopes) {
			ended = append(ended, st)
		}
	}
	s.mu.Unlock()
	for _, st := range ended {
		st.cancel(errTokenEnded)
	}
}

// count is how many streams of a subject are open (tests).
func (s *streams) count(instance, subject string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bySub[streamKey{instance, subject}])
}

// notAllIn returns whether some of scopes is not in granted.
func notAllIn(granted []string) func(scopes []string) bool {
	return func(scopes []string) bool {
		return slices.ContainsFunc(scopes, func(sc string) bool { return !slices.Contains(granted, sc) })
	}
}

// longLived tells whether a data request may stay open: a _changes feed that waits.
func longLived(r *http.Request) bool {
	if !strings.HasSuffix(r.URL.Path, "/_changes") {
		return false
	}
	switch r.URL.Query().Get("feed") {
	case "continuous", "longpoll", "eventsource":
		return true
	}
	return false
}

// openStream binds a long-lived request of a verified token to it (see streams.bind), then
// checks the token again: a revocation that came between the first check and the binding
// found nothing to end, and the second check sees it.
func (rt *Runtime) openStream(ctx context.Context, inst *tenants.Instance, tok string, claims auth.Claims) (context.Context, func(), error) {
	ctx, release := rt.streams.bind(ctx, inst.ID, claims)
	if revocable(claims.Subject) {
		if _, _, err := rt.verifyToken(ctx, inst, tok); err != nil {
			release()
			return nil, nil, err
		}
	}
	return ctx, release, nil
}
