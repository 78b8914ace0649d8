package owner

import (
	"errors"
	"fmt"
	"time"
)

// Errors returned by an Owner. Their messages are safe to show to the person at the browser.
var (
	// ErrBadPassphrase: the passphrase is wrong (or a login failed on it).
	ErrBadPassphrase = errors.New("owner: wrong passphrase")
	// ErrInvalidPassphrase: a new passphrase breaks the rules (too short, too long, not UTF-8);
	// the wrapping error says which.
	ErrInvalidPassphrase = errors.New("owner: passphrase not accepted")
	// ErrThrottled: too many failed logins; errors.As with *ThrottledError gives the wait.
	ErrThrottled = errors.New("owner: too many failed attempts")
	// ErrNeedsTOTP: the passphrase is right and two-factor is on, but no code was given.
	ErrNeedsTOTP = errors.New("owner: a two-factor code or a recovery code is required")
	// ErrBadCode: the two-factor or recovery code is wrong, already used, or expired.
	ErrBadCode = errors.New("owner: wrong or already used code")
	// ErrNotOnboarded: the owner has not set a passphrase yet.
	ErrNotOnboarded = errors.New("owner: the owner has not set a passphrase yet")
	// ErrAlreadyOnboarded: the passphrase was already set through onboarding.
	ErrAlreadyOnboarded = errors.New("owner: the instance already has an owner passphrase")
	// ErrBadToken: the onboarding token is not the one issued (or none was issued).
	ErrBadToken = errors.New("owner: this onboarding link is not valid")
	// ErrTokenExpired: the onboarding token was right but has expired.
	ErrTokenExpired = errors.New("owner: this onboarding link has expired; ask for a new one")
	// ErrNoSession: the session cookie is missing, malformed, unknown, revoked or expired.
	ErrNoSession = errors.New("owner: not logged in")
	// ErrTOTPEnabled: two-factor is already on (disable it first to set up a new one).
	ErrTOTPEnabled = errors.New("owner: two-factor authentication is already on")
	// ErrTOTPDisabled: two-factor is off, or its set-up was not begun.
	ErrTOTPDisabled = errors.New("owner: two-factor authentication is off")
)

// ThrottledError is the error of an attempt refused by the throttle, before any check was
// made. errors.Is(err, ErrThrottled) holds.
type ThrottledError struct {
	RetryAfter time.Duration // how long to wait before the next attempt is considered
}

func (e *ThrottledError) Error() string {
	secs := int((e.RetryAfter + time.Second - 1) / time.Second)
	return fmt.Sprintf("%v; try again in %d s", ErrThrottled, secs)
}

// Is reports whether target is ErrThrottled.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }
