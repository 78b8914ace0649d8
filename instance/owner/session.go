package owner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// sessionPrefix starts the Store key of every session; the rest is the session's ID.
const sessionPrefix = "session:"

// maxClientField bounds the stored length of a client's address and user agent.
const maxClientField = 512

// ClientInfo describes who logs in, for the list of sessions and the throttle.
type ClientInfo struct {
	Addr      string // client IP address (an "ip:port" form is accepted)
	UserAgent string
}

// SessionInfo describes a session, without its cookie.
type SessionInfo struct {
	ID        string    // public id: SessionID of the cookie; ListSessions and RevokeSession use it
	Created   time.Time // login time
	LastSeen  time.Time // last use, recorded at most every Config.TouchEvery
	Expires   time.Time // when it ends if not used again
	Addr      string    // address it logged in from
	UserAgent string    // user agent it logged in with
}

type sessionRec struct {
	Created   time.Time `json:"created"`
	LastSeen  time.Time `json:"last_seen"`
	Addr      string    `json:"addr,omitempty"`
	UserAgent string    `json:"user_agent,omitempty"`
}

// SessionID returns the public id of the session whose cookie is cookie (its sha256, in hex),
// for example to mark the current session in ListSessions. Only the id is stored.
func SessionID(cookie string) string { return digest(cookie) }

func (o *Owner) info(id string, r sessionRec) SessionInfo {
	exp := r.LastSeen.Add(o.cfg.SessionIdle)
	if end := r.Created.Add(o.cfg.SessionMax); end.Before(exp) {
		exp = end
	}
	return SessionInfo{ID: id, Created: r.Created, LastSeen: r.LastSeen, Expires: exp, Addr: r.Addr, UserAgent: r.UserAgent}
}

func (o *Owner) expired(r sessionRec) bool {
	return !o.now().Before(o.info("", r).Expires)
}

// createSession stores a new session and returns its cookie value.
func (o *Owner) createSession(ctx context.Context, c ClientInfo) (string, SessionInfo, error) {
	cookie, err := newSecret()
	if err != nil {
		return "", SessionInfo{}, err
	}
	now := o.now().UTC()
	r := sessionRec{Created: now, LastSeen: now, Addr: clip(c.Addr), UserAgent: clip(c.UserAgent)}
	raw, err := json.Marshal(r)
	if err != nil {
		return "", SessionInfo{}, fmt.Errorf("owner: session record: %w", err)
	}
	id := SessionID(cookie)
	if _, err := o.cfg.Store.Put(ctx, sessionPrefix+id, raw, ""); err != nil {
		return "", SessionInfo{}, err
	}
	return cookie, o.info(id, r), nil
}

// Session checks the session cookie and returns the session, or ErrNoSession when it is
// malformed, unknown, revoked or expired. It records the use (at most every TouchEvery).
func (o *Owner) Session(ctx context.Context, cookie string) (SessionInfo, error) {
	if !validSecret(cookie) {
		return SessionInfo{}, ErrNoSession
	}
	id := SessionID(cookie)
	r, rev, err := o.loadSession(ctx, id)
	if err != nil {
		return SessionInfo{}, err
	}
	if o.expired(r) {
		_ = o.cfg.Store.Delete(ctx, sessionPrefix+id, rev) // best effort; it is refused anyway
		return SessionInfo{}, ErrNoSession
	}
	if now := o.now().UTC(); now.Sub(r.LastSeen) >= o.cfg.TouchEvery {
		r.LastSeen = now
		raw, err := json.Marshal(r)
		if err != nil {
			return SessionInfo{}, fmt.Errorf("owner: session record: %w", err)
		}
		// A conflict means another request touched it, or it was just revoked: either way
		// this request, already checked, goes on.
		if _, err := o.cfg.Store.Put(ctx, sessionPrefix+id, raw, rev); err != nil && !errors.Is(err, ErrStoreConflict) {
			return SessionInfo{}, err
		}
	}
	return o.info(id, r), nil
}

// SessionByID returns the live session whose public id is id, or ErrNoSession. Unlike Session
// it records no use: it is for checks made on behalf of a session elsewhere (an app's origin).
func (o *Owner) SessionByID(ctx context.Context, id string) (SessionInfo, error) {
	r, _, err := o.loadSession(ctx, id)
	if err != nil {
		return SessionInfo{}, err
	}
	if o.expired(r) {
		return SessionInfo{}, ErrNoSession
	}
	return o.info(id, r), nil
}

func (o *Owner) loadSession(ctx context.Context, id string) (sessionRec, string, error) {
	var r sessionRec
	raw, rev, err := o.cfg.Store.Get(ctx, sessionPrefix+id)
	if errors.Is(err, ErrStoreNotFound) {
		return r, "", ErrNoSession
	}
	if err != nil {
		return r, "", err
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return r, "", fmt.Errorf("owner: session record: %w", err)
	}
	return r, rev, nil
}

// Logout ends the session of cookie. Ending a session that does not exist is not an error.
func (o *Owner) Logout(ctx context.Context, cookie string) error {
	if !validSecret(cookie) {
		return nil
	}
	err := o.RevokeSession(ctx, SessionID(cookie))
	if errors.Is(err, ErrNoSession) {
		return nil
	}
	return err
}

// RevokeSession ends the session whose public id is id, or answers ErrNoSession.
func (o *Owner) RevokeSession(ctx context.Context, id string) error {
	for range maxRetries {
		_, rev, err := o.loadSession(ctx, id)
		if err != nil {
			return err
		}
		err = o.cfg.Store.Delete(ctx, sessionPrefix+id, rev)
		switch {
		case errors.Is(err, ErrStoreConflict):
			continue // touched meanwhile
		case errors.Is(err, ErrStoreNotFound):
			return ErrNoSession
		}
		return err
	}
	return fmt.Errorf("owner: session kept changing: %w", ErrStoreConflict)
}

// ListSessions returns the live sessions, most recently used first. Expired ones are deleted
// on the way.
func (o *Owner) ListSessions(ctx context.Context) ([]SessionInfo, error) {
	entries, err := o.cfg.Store.List(ctx, sessionPrefix)
	if err != nil {
		return nil, err
	}
	out := make([]SessionInfo, 0, len(entries))
	for _, e := range entries {
		var r sessionRec
		if err := json.Unmarshal(e.Value, &r); err != nil {
			return nil, fmt.Errorf("owner: session record %s: %w", e.Key, err)
		}
		if o.expired(r) {
			_ = o.cfg.Store.Delete(ctx, e.Key, e.Rev) // best effort
			continue
		}
		out = append(out, o.info(strings.TrimPrefix(e.Key, sessionPrefix), r))
	}
	slices.SortFunc(out, func(a, b SessionInfo) int { return b.LastSeen.Compare(a.LastSeen) })
	return out, nil
}

// PurgeExpiredSessions deletes expired sessions (ListSessions does too) and returns how many
// live sessions remain. The runtime may call it now and then.
func (o *Owner) PurgeExpiredSessions(ctx context.Context) (int, error) {
	live, err := o.ListSessions(ctx)
	return len(live), err
}

// endSessionsExcept ends every session but keepID (which may be empty).
func (o *Owner) endSessionsExcept(ctx context.Context, keepID string) error {
	entries, err := o.cfg.Store.List(ctx, sessionPrefix)
	if err != nil {
		return err
	}
	for _, e := range entries {
		id := strings.TrimPrefix(e.Key, sessionPrefix)
		if id == keepID {
			continue
		}
		err := o.cfg.Store.Delete(ctx, e.Key, e.Rev)
		if errors.Is(err, ErrStoreConflict) {
			err = o.RevokeSession(ctx, id) // touched since listed
		}
		if err != nil && !errors.Is(err, ErrNoSession) && !errors.Is(err, ErrStoreNotFound) {
			return err
		}
	}
	return nil
}

// clip makes s valid UTF-8 and cuts it to maxClientField bytes at a character boundary.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxClientField {
		return s
	}
	i := maxClientField
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}
