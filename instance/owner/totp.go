package owner

import (
	"bytes"
	"context"
	"crypto/subtle"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters: the ones every authenticator app supports.
const (
	totpPeriod = 30 // seconds
	totpSkew   = 1  // steps accepted either side of now
	qrSize     = 256
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// TOTPSetup is what the owner needs to add the instance to an authenticator app.
type TOTPSetup struct {
	Secret  string    // base32, for typing in by hand
	URL     string    // otpauth:// URL
	QRPNG   []byte    // the URL as a QR code, PNG
	Expires time.Time // ConfirmTOTP must come before
}

// BeginTOTP starts setting up two-factor: it draws a secret, remembered until ConfirmTOTP
// (which must come within 15 minutes). Two-factor is not on until then. It fails with
// ErrTOTPEnabled when two-factor is already on, ErrNotOnboarded before onboarding.
func (o *Owner) BeginTOTP(ctx context.Context) (TOTPSetup, error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: o.cfg.Issuer, AccountName: o.cfg.Label, Period: totpPeriod,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return TOTPSetup{}, fmt.Errorf("owner: TOTP secret: %w", err)
	}
	s := TOTPSetup{Secret: key.Secret(), URL: key.URL(), Expires: o.now().Add(totpSetupTTL).UTC()}
	if img, err := key.Image(qrSize, qrSize); err == nil {
		var buf bytes.Buffer
		if png.Encode(&buf, img) == nil {
			s.QRPNG = buf.Bytes()
		}
	}
	_, err = o.updateAccount(ctx, func(a *account) error {
		switch {
		case a.Hash == "":
			return ErrNotOnboarded
		case a.TOTP != nil:
			return ErrTOTPEnabled
		}
		a.TOTPSetup = &totpSetup{Secret: s.Secret, Expires: s.Expires}
		return nil
	})
	if err != nil {
		return TOTPSetup{}, err
	}
	return s, nil
}

// ConfirmTOTP turns two-factor on if code is valid for the secret BeginTOTP drew, and returns
// the recovery codes, to be shown once. A wrong code answers ErrBadCode; no set-up begun (or
// one expired) answers ErrTOTPDisabled.
func (o *Owner) ConfirmTOTP(ctx context.Context, code string) ([]string, error) {
	codes, hashes, err := newRecoveryCodes()
	if err != nil {
		return nil, err
	}
	_, err = o.updateAccount(ctx, func(a *account) error {
		switch {
		case a.TOTP != nil:
			return ErrTOTPEnabled
		case a.TOTPSetup == nil || !o.now().Before(a.TOTPSetup.Expires):
			return fmt.Errorf("%w: begin the set-up again", ErrTOTPDisabled)
		}
		step, ok := o.matchTOTP(a.TOTPSetup.Secret, code, 0)
		if !ok {
			return ErrBadCode
		}
		a.TOTP = &totpState{Secret: a.TOTPSetup.Secret, LastStep: step, Recovery: hashes}
		a.TOTPSetup = nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// DisableTOTP turns two-factor off, given the passphrase. It is throttled like a login.
func (o *Owner) DisableTOTP(ctx context.Context, passphrase string) error {
	epoch, err := o.confirmPassphrase(ctx, passphrase, "settings")
	if err != nil {
		return err
	}
	_, err = o.updateAccount(ctx, func(a *account) error {
		if a.Epoch != epoch {
			return ErrBadPassphrase // changed meanwhile
		}
		if a.TOTP == nil && a.TOTPSetup == nil {
			return ErrTOTPDisabled
		}
		a.TOTP, a.TOTPSetup = nil, nil
		return nil
	})
	return err
}

// matchTOTP returns the time step code is valid for, within the skew and after lastStep (so
// that a code is accepted once).
func (o *Owner) matchTOTP(secret, code string, lastStep int64) (int64, bool) {
	if len(code) != int(otp.DigitsSix) || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	now := o.now().Unix() / totpPeriod
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		step := now + d
		if step <= lastStep {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// useSecondFactor accepts a TOTP code (six digits) or a recovery code for a, spending it: a
// TOTP code moves LastStep forward, a recovery code is removed. It reports whether it was
// accepted; a is changed only then.
func (o *Owner) useSecondFactor(a *account, code string) bool {
	code = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, code)
	if step, ok := o.matchTOTP(a.TOTP.Secret, code, a.TOTP.LastStep); ok {
		a.TOTP.LastStep = step
		return true
	}
	if i := matchRecovery(a.TOTP.Recovery, code); i >= 0 {
		a.TOTP.Recovery = append(a.TOTP.Recovery[:i:i], a.TOTP.Recovery[i+1:]...)
		return true
	}
	return false
}
