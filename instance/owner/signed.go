package owner

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"
)

// A signed onboarding token is the URL-safe base64 (no padding) of
//
//	version (1 byte) | generation (8 bytes) | expiry, Unix seconds (8 bytes) | MAC (32 bytes)
//
// where MAC is HMAC-SHA256 under Config.Secret of signedPurpose, a zero byte and the 17 bytes
// before it. Integers are big-endian.
const (
	signedVersion = 1
	signedHead    = 1 + 8 + 8
	signedLen     = signedHead + sha256.Size
	// signedPurpose keeps a MAC made for something else under the same key from passing.
	signedPurpose = "hearth owner onboarding link"
)

// signedChars is the length of a signed token: 66 characters, where stored ones have 43.
var signedChars = base64.RawURLEncoding.EncodedLen(signedLen)

// MinSecretLen is the shortest Config.Secret New accepts.
const MinSecretLen = 16

var errNoSecret = errors.New("owner: Config.Secret is required to sign onboarding links")

// SignedOnboarding issues an onboarding token that costs no write: it is an HMAC, under
// Config.Secret, of the link's expiry and of the current generation of onboarding links (0
// before the account was ever written), and Onboard verifies it instead of looking it up. It
// reads the account once, and fails with ErrAlreadyOnboarded once a passphrase is set.
//
// It keeps the stored tokens' rules: the token is spent once a passphrase is set, it expires
// (after Config.OnboardingTTL, rounded down to the second), and NewOnboarding or Reset start
// a new generation, which kills every earlier token. Signed tokens of one generation do not
// replace each other: to kill a link given out, call NewOnboarding. This is the link to give
// when an instance is created; Status().OnboardingPending does not see it (CheckOnboarding
// does).
func (o *Owner) SignedOnboarding(ctx context.Context) (token string, expires time.Time, err error) {
	if len(o.cfg.Secret) == 0 {
		return "", time.Time{}, errNoSecret
	}
	a, _, err := o.loadAccount(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	if a.Hash != "" {
		return "", time.Time{}, ErrAlreadyOnboarded
	}
	expires = o.now().Add(o.cfg.OnboardingTTL).UTC().Truncate(time.Second)
	return o.signOnboarding(a.OnboardGen, expires.Unix()), expires, nil
}

// signOnboarding returns the signed token of generation gen expiring at Unix second expiry.
func (o *Owner) signOnboarding(gen uint64, expiry int64) string {
	b := make([]byte, signedHead, signedLen)
	b[0] = signedVersion
	binary.BigEndian.PutUint64(b[1:9], gen)
	binary.BigEndian.PutUint64(b[9:17], uint64(expiry))
	return base64.RawURLEncoding.EncodeToString(o.onboardingMAC(b))
}

// onboardingMAC appends the MAC of the token head to head.
func (o *Owner) onboardingMAC(head []byte) []byte {
	m := hmac.New(sha256.New, o.cfg.Secret)
	m.Write([]byte(signedPurpose))
	m.Write([]byte{0})
	m.Write(head)
	return m.Sum(head)
}

// isSignedShape reports whether token has the length of a signed token; its content is
// checked by checkSigned.
func isSignedShape(token string) bool { return len(token) == signedChars }

// checkSigned checks a signed token against the account a, which has no passphrase yet.
func (o *Owner) checkSigned(a account, token string) error {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != signedLen || len(o.cfg.Secret) == 0 {
		return ErrBadToken
	}
	want := o.onboardingMAC(append(make([]byte, 0, signedLen), b[:signedHead]...))
	if !hmac.Equal(want, b) || b[0] != signedVersion {
		return ErrBadToken
	}
	if binary.BigEndian.Uint64(b[1:9]) != a.OnboardGen {
		return ErrBadToken // a newer link replaced it
	}
	expiry := int64(binary.BigEndian.Uint64(b[9:17]))
	if o.now().Unix() >= expiry {
		return ErrTokenExpired
	}
	return nil
}
