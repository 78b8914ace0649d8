package owner

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// accountKey is the Store key of the owner's account record.
const accountKey = "account"

// account is the owner's record: passphrase, onboarding state and two-factor state.
type account struct {
	Hash  string `json:"hash,omitempty"` // PHC argon2id hash; empty before onboarding
	Epoch int    `json:"epoch"`          // bumped by every passphrase change

	OnboardHash    string    `json:"onboard_hash,omitempty"` // hex sha256 of the onboarding token
	OnboardExpires time.Time `json:"onboard_expires,omitzero"`
	// OnboardGen is the generation of onboarding links, bumped by NewOnboarding and Reset: a
	// signed link names the generation it was issued in and dies when it changes.
	OnboardGen uint64 `json:"onboard_gen,omitempty"`

	TOTP      *totpState `json:"totp,omitempty"`       // set when two-factor is on
	TOTPSetup *totpSetup `json:"totp_setup,omitempty"` // a set-up begun, not yet confirmed
}

type totpState struct {
	Secret   string   `json:"secret"`    // base32, as in the otpauth URL
	LastStep int64    `json:"last_step"` // the last time step whose code was accepted
	Recovery []string `json:"recovery"`  // hex sha256 of the unused recovery codes
}

type totpSetup struct {
	Secret  string    `json:"secret"`
	Expires time.Time `json:"expires"`
}

// maxRetries bounds read-modify-write retries on revision conflicts.
const maxRetries = 16

// loadAccount returns the account and its revision; a missing record is a zero account with
// an empty revision.
func (o *Owner) loadAccount(ctx context.Context) (account, string, error) {
	var a account
	raw, rev, err := o.cfg.Store.Get(ctx, accountKey)
	if errors.Is(err, ErrStoreNotFound) {
		return a, "", nil
	}
	if err != nil {
		return a, "", err
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return a, "", fmt.Errorf("owner: account record: %w", err)
	}
	return a, rev, nil
}

// updateAccount applies change to the current account and stores it, starting over from a
// fresh read when another writer got there first. change may run several times; an error from
// it aborts the update and is returned as is.
func (o *Owner) updateAccount(ctx context.Context, change func(*account) error) (account, error) {
	for range maxRetries {
		a, rev, err := o.loadAccount(ctx)
		if err != nil {
			return a, err
		}
		if err := change(&a); err != nil {
			return a, err
		}
		raw, err := json.Marshal(a)
		if err != nil {
			return a, fmt.Errorf("owner: account record: %w", err)
		}
		_, err = o.cfg.Store.Put(ctx, accountKey, raw, rev)
		if errors.Is(err, ErrStoreConflict) {
			continue
		}
		return a, err
	}
	return account{}, fmt.Errorf("owner: account kept changing: %w", ErrStoreConflict)
}

// newSecret returns 32 random bytes, URL-safe base64 without padding (43 characters).
func newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("owner: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// validSecret reports whether s has the shape newSecret gives.
func validSecret(s string) bool {
	if len(s) != 43 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == 32
}

// digest is the hex sha256 of s: how tokens, session ids and recovery codes are stored.
func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
