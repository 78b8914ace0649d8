package owner

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"strings"
)

// Recovery codes: RecoveryCodes of them, each 80 random bits written as 16 base32 letters
// and digits in four groups ("abcd-efgh-ijkl-mnop"). Only their sha256 is stored.
const (
	RecoveryCodes   = 10
	recoveryBytes   = 10
	recoveryGroupOf = 4
)

var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newRecoveryCodes returns fresh codes, as shown, and their digests, as stored.
func newRecoveryCodes() (codes, hashes []string, err error) {
	for range RecoveryCodes {
		b := make([]byte, recoveryBytes)
		if _, err := rand.Read(b); err != nil {
			return nil, nil, fmt.Errorf("owner: random: %w", err)
		}
		plain := strings.ToLower(recoveryEncoding.EncodeToString(b))
		var groups []string
		for i := 0; i < len(plain); i += recoveryGroupOf {
			groups = append(groups, plain[i:i+recoveryGroupOf])
		}
		codes = append(codes, strings.Join(groups, "-"))
		hashes = append(hashes, digest(plain))
	}
	return codes, hashes, nil
}

// matchRecovery returns the index of code (already without separators) among the stored
// digests, or -1. Every digest is compared, in constant time.
func matchRecovery(hashes []string, code string) int {
	code = strings.ToLower(code)
	if len(code) != recoveryEncoding.EncodedLen(recoveryBytes) {
		return -1
	}
	d := []byte(digest(code))
	found := -1
	for i, h := range hashes {
		if subtle.ConstantTimeCompare(d, []byte(h)) == 1 {
			found = i
		}
	}
	return found
}

// RegenerateRecoveryCodes replaces the recovery codes, given the passphrase, and returns the
// new ones, to be shown once. It fails with ErrTOTPDisabled when two-factor is off.
func (o *Owner) RegenerateRecoveryCodes(ctx context.Context, passphrase string) ([]string, error) {
	epoch, err := o.confirmPassphrase(ctx, passphrase, "settings")
	if err != nil {
		return nil, err
	}
	codes, hashes, err := newRecoveryCodes()
	if err != nil {
		return nil, err
	}
	_, err = o.updateAccount(ctx, func(a *account) error {
		if a.Epoch != epoch {
			return ErrBadPassphrase
		}
		if a.TOTP == nil {
			return ErrTOTPDisabled
		}
		a.TOTP.Recovery = hashes
		return nil
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}
