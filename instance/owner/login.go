package owner

import (
	"context"
	"errors"
	"strings"
)

// Login checks the passphrase and, when two-factor is on, code (a TOTP code or a recovery
// code), and opens a session: it returns the cookie value to set and the session.
//
// Failures, in the order the login form meets them: ErrNotOnboarded; *ThrottledError (nothing
// was checked); ErrBadPassphrase; ErrNeedsTOTP when the passphrase is right but code is empty
// (not counted as a failure); ErrBadCode when code is wrong or already used. Failed attempts
// count against the instance and the client's address.
func (o *Owner) Login(ctx context.Context, passphrase, code string, c ClientInfo) (string, SessionInfo, error) {
	a, _, err := o.loadAccount(ctx)
	if err != nil {
		return "", SessionInfo{}, err
	}
	if a.Hash == "" {
		return "", SessionInfo{}, ErrNotOnboarded
	}
	att, err := o.cfg.Throttle.begin(o.now(), o.instanceKey(), o.clientKey("addr", addrKey(c.Addr)))
	if err != nil {
		return "", SessionInfo{}, err
	}
	cookie, info, rehash, err := o.login(ctx, a, passphrase, code, c)
	switch {
	case err == nil:
		att.succeeded()
	case errors.Is(err, ErrBadPassphrase) || errors.Is(err, ErrBadCode):
		// counted as a failure since begin
	default:
		att.neutral() // ErrNeedsTOTP, or a failure that is not the client's
	}
	if err != nil {
		return "", SessionInfo{}, err
	}
	if rehash {
		o.rehash(ctx, a, passphrase)
	}
	return cookie, info, nil
}

func (o *Owner) login(ctx context.Context, a account, passphrase, code string, c ClientInfo) (string, SessionInfo, bool, error) {
	ok, rehash, err := o.verify(ctx, a.Hash, passphrase)
	if err != nil {
		return "", SessionInfo{}, false, err
	}
	if !ok {
		return "", SessionInfo{}, false, ErrBadPassphrase
	}
	if a.TOTP != nil {
		if strings.TrimSpace(code) == "" {
			return "", SessionInfo{}, false, ErrNeedsTOTP
		}
		_, err := o.updateAccount(ctx, func(cur *account) error {
			switch {
			case cur.Epoch != a.Epoch:
				return ErrBadPassphrase // changed meanwhile
			case cur.TOTP == nil:
				return nil // turned off meanwhile: the passphrase is enough
			case !o.useSecondFactor(cur, code):
				return ErrBadCode
			}
			return nil
		})
		if err != nil {
			return "", SessionInfo{}, false, err
		}
	}
	cookie, info, err := o.createSession(ctx, c)
	if err != nil {
		return "", SessionInfo{}, false, err
	}
	// A passphrase change that raced this login ends every session it listed; this one may
	// have come after its list, so check that the passphrase is still the one verified.
	cur, _, err := o.loadAccount(ctx)
	if err == nil && cur.Epoch != a.Epoch {
		err = ErrBadPassphrase
	}
	if err != nil {
		_ = o.RevokeSession(ctx, info.ID)
		return "", SessionInfo{}, false, err
	}
	return cookie, info, rehash, nil
}

// verify checks passphrase against hash. A passphrase breaking the rules is wrong, unhashed.
func (o *Owner) verify(ctx context.Context, hash, passphrase string) (ok, rehash bool, err error) {
	p, err := NormalizePassphrase(passphrase)
	if err != nil {
		return false, false, nil
	}
	return o.cfg.Hasher.Verify(ctx, hash, p)
}

// rehash stores a hash of passphrase with the current parameters, unless the account changed
// since a was read. It is best effort: the old hash keeps working.
func (o *Owner) rehash(ctx context.Context, a account, passphrase string) {
	p, err := NormalizePassphrase(passphrase)
	if err != nil {
		return
	}
	hash, err := o.cfg.Hasher.Hash(ctx, p)
	if err != nil {
		return
	}
	_, _ = o.updateAccount(ctx, func(cur *account) error {
		if cur.Epoch != a.Epoch || cur.Hash != a.Hash {
			return ErrStoreConflict
		}
		cur.Hash = hash
		return nil
	})
}

// confirmPassphrase checks the owner's passphrase for a settings change, throttled per
// instance and per who (a session, or "settings"), and returns the account's epoch.
func (o *Owner) confirmPassphrase(ctx context.Context, passphrase, who string) (int, error) {
	a, _, err := o.loadAccount(ctx)
	if err != nil {
		return 0, err
	}
	if a.Hash == "" {
		return 0, ErrNotOnboarded
	}
	att, err := o.cfg.Throttle.begin(o.now(), o.instanceKey(), o.clientKey("confirm", who))
	if err != nil {
		return 0, err
	}
	ok, _, err := o.verify(ctx, a.Hash, passphrase)
	switch {
	case err != nil:
		att.neutral()
		return 0, err
	case !ok:
		return 0, ErrBadPassphrase
	}
	att.succeeded()
	return a.Epoch, nil
}

// ChangePassphrase replaces the passphrase, given the current one, and ends every session but
// the one whose cookie is keepCookie (pass "" to end them all). A new passphrase breaking the
// rules fails with ErrInvalidPassphrase; a wrong current one with ErrBadPassphrase (throttled
// like a login).
func (o *Owner) ChangePassphrase(ctx context.Context, current, next, keepCookie string) error {
	p, err := NormalizePassphrase(next)
	if err != nil {
		return err
	}
	keepID, who := "", "settings"
	if validSecret(keepCookie) {
		keepID = SessionID(keepCookie)
		who = "session\x00" + keepID
	}
	epoch, err := o.confirmPassphrase(ctx, current, who)
	if err != nil {
		return err
	}
	hash, err := o.cfg.Hasher.Hash(ctx, p)
	if err != nil {
		return err
	}
	_, err = o.updateAccount(ctx, func(a *account) error {
		if a.Epoch != epoch {
			return ErrBadPassphrase // changed meanwhile
		}
		a.Hash, a.Epoch = hash, a.Epoch+1
		return nil
	})
	if err != nil {
		return err
	}
	return o.endSessionsExcept(ctx, keepID)
}
