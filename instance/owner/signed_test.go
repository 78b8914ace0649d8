package owner

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"
)

// testSecret is the instance key of test owners (newOwner sets it).
var testSecret = []byte("0123456789abcdef0123456789abcdef")

// accountRev is the revision of the account record, "" when there is none.
func accountRev(t *testing.T, st Store) string {
	t.Helper()
	_, rev, err := st.Get(context.Background(), accountKey)
	if err != nil && !errors.Is(err, ErrStoreNotFound) {
		t.Fatal(err)
	}
	return rev
}

func testSignedOnboardingHappyPath(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	st := newStore(t)
	o := newOwner(t, st)
	tok, exp, err := o.SignedOnboarding(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != signedChars || strings.ContainsAny(tok, "+/=") || !exp.Equal(o.clock.Now().Add(DefaultOnboardingTTL)) {
		t.Fatalf("token %q expiring %v: want %d URL-safe characters, 7 days", tok, exp, signedChars)
	}
	if rev := accountRev(t, st); rev != "" {
		t.Fatalf("SignedOnboarding wrote the account (rev %s)", rev)
	}
	if l, err := st.List(ctx, ""); err != nil || len(l) != 0 {
		t.Fatalf("SignedOnboarding stored %d records (%v)", len(l), err)
	}
	if ks, ok := st.(KivikStore); ok {
		if exists, err := ks.DB.Client().DBExists(ctx, ks.DB.Name()); err != nil || exists {
			t.Fatalf("SignedOnboarding created the database (%v)", err)
		}
	}
	if err := o.CheckOnboarding(ctx, tok); err != nil {
		t.Fatalf("CheckOnboarding of a fresh link: %v", err)
	}
	wantErr(t, "Onboard with a short passphrase", o.Onboard(ctx, tok, "short"), ErrInvalidPassphrase)
	if err := o.Onboard(ctx, tok, testPass); err != nil {
		t.Fatalf("Onboard: %v", err)
	}
	wantErr(t, "second Onboard", o.Onboard(ctx, tok, testPass+"!"), ErrAlreadyOnboarded)
	wantErr(t, "CheckOnboarding after onboarding", o.CheckOnboarding(ctx, tok), ErrAlreadyOnboarded)
	_, _, err = o.SignedOnboarding(ctx)
	wantErr(t, "SignedOnboarding after onboarding", err, ErrAlreadyOnboarded)
	o.login(t, "", "192.0.2.1")
}

// forge re-encodes a signed token with its head changed by edit and its MAC kept.
func forge(t *testing.T, tok string, edit func(head []byte)) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) != signedLen {
		t.Fatalf("not a signed token: %q", tok)
	}
	edit(b[:signedHead])
	return base64.RawURLEncoding.EncodeToString(b)
}

func testSignedOnboardingTokens(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	tests := []struct {
		name  string
		token func(t *testing.T, o *testOwner, issued string) string
		want  error
	}{
		{"right", func(_ *testing.T, _ *testOwner, tok string) string { return tok }, nil},
		{"last second", func(_ *testing.T, o *testOwner, tok string) string {
			o.clock.Advance(DefaultOnboardingTTL - time.Second)
			return tok
		}, nil},
		{"expired", func(_ *testing.T, o *testOwner, tok string) string { o.clock.Advance(DefaultOnboardingTTL); return tok }, ErrTokenExpired},
		{"one character changed", func(_ *testing.T, _ *testOwner, tok string) string {
			c := byte('A')
			if tok[40] == c {
				c = 'B'
			}
			return tok[:40] + string(c) + tok[41:]
		}, ErrBadToken},
		{"expiry pushed back", func(t *testing.T, _ *testOwner, tok string) string {
			return forge(t, tok, func(h []byte) {
				binary.BigEndian.PutUint64(h[9:17], binary.BigEndian.Uint64(h[9:17])+86400)
			})
		}, ErrBadToken},
		{"generation changed", func(t *testing.T, _ *testOwner, tok string) string {
			return forge(t, tok, func(h []byte) { h[8]++ })
		}, ErrBadToken},
		{"version changed", func(t *testing.T, _ *testOwner, tok string) string {
			return forge(t, tok, func(h []byte) { h[0]++ })
		}, ErrBadToken},
		{"signed by another instance", func(t *testing.T, o *testOwner, _ string) string {
			other := newOwner(t, o.store, func(c *Config) { c.Secret = []byte("another instance's key, 32 byte") })
			tok, _, err := other.SignedOnboarding(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}, ErrBadToken},
		{"not base64", func(*testing.T, *testOwner, string) string { return strings.Repeat("!", signedChars) }, ErrBadToken},
		{"replaced by NewOnboarding", func(t *testing.T, o *testOwner, tok string) string {
			if _, _, err := o.NewOnboarding(ctx); err != nil {
				t.Fatal(err)
			}
			return tok
		}, ErrBadToken},
		{"replaced by Reset", func(t *testing.T, o *testOwner, tok string) string {
			if _, _, err := o.Reset(ctx); err != nil {
				t.Fatal(err)
			}
			return tok
		}, ErrBadToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOwner(t, newStore(t))
			tok, _, err := o.SignedOnboarding(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tok = tt.token(t, o, tok)
			if tt.want == nil {
				if err := o.CheckOnboarding(ctx, tok); err != nil {
					t.Fatalf("CheckOnboarding = %v", err)
				}
				if err := o.Onboard(ctx, tok, testPass); err != nil {
					t.Fatalf("Onboard = %v", err)
				}
				return
			}
			wantErr(t, "CheckOnboarding", o.CheckOnboarding(ctx, tok), tt.want)
			wantErr(t, "Onboard", o.Onboard(ctx, tok, testPass), tt.want)
		})
	}
	t.Run("verifier without a secret", func(t *testing.T) {
		st := newStore(t)
		tok, _, err := newOwner(t, st).SignedOnboarding(ctx)
		if err != nil {
			t.Fatal(err)
		}
		o := newOwner(t, st, func(c *Config) { c.Secret = nil })
		wantErr(t, "Onboard", o.Onboard(ctx, tok, testPass), ErrBadToken)
		if _, _, err := o.SignedOnboarding(ctx); err == nil {
			t.Fatal("SignedOnboarding without a secret succeeded")
		}
	})
}

// testSignedOnboardingGenerations: signed links of one generation live side by side, and with
// the stored token of that generation; the next generation kills them all.
func testSignedOnboardingGenerations(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o := newOwner(t, newStore(t))
	gen0, _, err := o.SignedOnboarding(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stored, _, err := o.NewOnboarding(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gen1a, _, err := o.SignedOnboarding(ctx)
	if err != nil {
		t.Fatal(err)
	}
	o.clock.Advance(time.Hour)
	gen1b, _, err := o.SignedOnboarding(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, "generation 0 after NewOnboarding", o.CheckOnboarding(ctx, gen0), ErrBadToken)
	for _, tok := range []string{stored, gen1a, gen1b} {
		if err := o.CheckOnboarding(ctx, tok); err != nil {
			t.Fatalf("CheckOnboarding(%q) = %v", tok, err)
		}
	}
	if _, _, err := o.NewOnboarding(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{gen0, stored, gen1a, gen1b} {
		wantErr(t, "a link of an earlier generation", o.Onboard(ctx, tok, testPass), ErrBadToken)
	}
}

func testSignedOnboardingAfterReset(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o := newOwner(t, newStore(t))
	first, _, err := o.SignedOnboarding(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Onboard(ctx, first, testPass); err != nil {
		t.Fatal(err)
	}
	cookie, _ := o.login(t, "", "192.0.2.1")
	if _, _, err := o.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Session(ctx, cookie); err == nil {
		t.Fatal("a session outlived Reset")
	}
	wantErr(t, "the link used before the reset", o.Onboard(ctx, first, testPass), ErrBadToken)
	again, _, err := o.SignedOnboarding(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Onboard(ctx, again, testPass+" again"); err != nil {
		t.Fatalf("Onboard after Reset with a signed link: %v", err)
	}
	if _, _, err := o.Login(ctx, testPass+" again", "", ClientInfo{}); err != nil {
		t.Fatalf("Login with the new passphrase: %v", err)
	}
}

func testSignedOnboardingConcurrent(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o := newOwner(t, newStore(t))
	tok, _, err := o.SignedOnboarding(ctx)
	if err != nil {
		t.Fatal(err)
	}
	errs := parallel(racers, func(i int) error { return o.Onboard(ctx, tok, testPass+string(rune('a'+i))) })
	if ok := successes(t, errs, ErrAlreadyOnboarded); ok != 1 {
		t.Fatalf("%d concurrent Onboard calls succeeded, want 1", ok)
	}
}

func testCheckOnboardingWritesNothing(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	st := newStore(t)
	o := newOwner(t, st)
	signed, _, err := o.SignedOnboarding(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.CheckOnboarding(ctx, signed); err != nil || accountRev(t, st) != "" {
		t.Fatalf("CheckOnboarding = %v; account rev %q, want none", err, accountRev(t, st))
	}
	stored, _, err := o.NewOnboarding(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rev := accountRev(t, st)
	for _, tok := range []string{stored, signed, "", strings.Repeat("A", 43)} {
		_ = o.CheckOnboarding(ctx, tok)
	}
	o.clock.Advance(DefaultOnboardingTTL)
	wantErr(t, "CheckOnboarding of an expired stored token", o.CheckOnboarding(ctx, stored), ErrTokenExpired)
	if got := accountRev(t, st); got != rev {
		t.Fatalf("CheckOnboarding changed the account: rev %s, then %s", rev, got)
	}
}

func TestNewRejectsShortSecret(t *testing.T) {
	_, err := New(Config{Store: KivikStore{}, Instance: "x", Secret: make([]byte, MinSecretLen-1)})
	if err == nil {
		t.Fatal("New with a short secret succeeded")
	}
	if _, err := New(Config{Store: KivikStore{}, Instance: "x", Secret: make([]byte, MinSecretLen)}); err != nil {
		t.Fatal(err)
	}
}
