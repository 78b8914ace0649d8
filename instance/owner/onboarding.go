package owner

import (
	"context"
	"crypto/subtle"
	"time"
)

// NewOnboarding issues the one-time onboarding token that lets its holder set the first
// passphrase, valid until the returned time. A new token replaces any earlier one, stored or
// signed (it starts a new generation of links). Only its sha256 is stored. It fails with
// ErrAlreadyOnboarded once a passphrase is set.
func (o *Owner) NewOnboarding(ctx context.Context) (token string, expires time.Time, err error) {
	token, err = newSecret()
	if err != nil {
		return "", time.Time{}, err
	}
	expires = o.now().Add(o.cfg.OnboardingTTL).UTC()
	_, err = o.updateAccount(ctx, func(a *account) error {
		if a.Hash != "" {
			return ErrAlreadyOnboarded
		}
		a.OnboardHash, a.OnboardExpires = digest(token), expires
		a.OnboardGen++
		return nil
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return token, expires, nil
}

// Onboard sets the first passphrase, given an onboarding token (from NewOnboarding, Reset or
// SignedOnboarding). It succeeds once: later calls fail with ErrAlreadyOnboarded. A wrong or
// replaced token fails with ErrBadToken, an expired one with ErrTokenExpired, a passphrase
// breaking the rules with ErrInvalidPassphrase. The token is spent on success. Onboard does not
// log in: call Login next.
func (o *Owner) Onboard(ctx context.Context, token, passphrase string) error {
	if err := o.CheckOnboarding(ctx, token); err != nil {
		return err
	}
	p, err := NormalizePassphrase(passphrase)
	if err != nil {
		return err
	}
	hash, err := o.cfg.Hasher.Hash(ctx, p)
	if err != nil {
		return err
	}
	_, err = o.updateAccount(ctx, func(a *account) error {
		if err := o.checkOnboarding(*a, token); err != nil {
			return err
		}
		a.Hash, a.Epoch = hash, a.Epoch+1
		a.OnboardHash, a.OnboardExpires = "", time.Time{}
		return nil
	})
	return err
}

// CheckOnboarding reports whether Onboard would accept token now, with the error Onboard would
// give (ErrAlreadyOnboarded, ErrBadToken, ErrTokenExpired); the onboarding page calls it to
// choose between the form and an explanation. It writes nothing.
func (o *Owner) CheckOnboarding(ctx context.Context, token string) error {
	a, _, err := o.loadAccount(ctx)
	if err != nil {
		return err
	}
	return o.checkOnboarding(a, token)
}

// Reset is for the instance's administrator when the owner lost the passphrase (or the second
// factor): it forgets the passphrase and two-factor, ends every session, and issues a new
// onboarding token, as NewOnboarding does (earlier tokens, stored or signed, die).
func (o *Owner) Reset(ctx context.Context) (token string, expires time.Time, err error) {
	token, err = newSecret()
	if err != nil {
		return "", time.Time{}, err
	}
	expires = o.now().Add(o.cfg.OnboardingTTL).UTC()
	_, err = o.updateAccount(ctx, func(a *account) error {
		*a = account{Epoch: a.Epoch + 1, OnboardGen: a.OnboardGen + 1,
			OnboardHash: digest(token), OnboardExpires: expires}
		return nil
	})
	if err != nil {
		return "", time.Time{}, err
	}
	if err := o.endSessionsExcept(ctx, ""); err != nil {
		return "", time.Time{}, err
	}
	return token, expires, nil
}

// checkOnboarding checks token, stored or signed, against the account a.
func (o *Owner) checkOnboarding(a account, token string) error {
	if a.Hash != "" {
		return ErrAlreadyOnboarded
	}
	if isSignedShape(token) {
		return o.checkSigned(a, token)
	}
	if a.OnboardHash == "" || !validSecret(token) ||
		subtle.ConstantTimeCompare([]byte(digest(token)), []byte(a.OnboardHash)) != 1 {
		return ErrBadToken
	}
	if !o.now().Before(a.OnboardExpires) {
		return ErrTokenExpired
	}
	return nil
}
