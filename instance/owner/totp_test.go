package owner

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// codeAt is the TOTP code of secret at t.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totpOpts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// withTOTP returns an onboarded Owner with two-factor on, its secret and recovery codes.
func withTOTP(t *testing.T, st Store) (*testOwner, string, []string) {
	t.Helper()
	ctx := context.Background()
	o := onboarded(t, st)
	setup, err := o.BeginTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := o.ConfirmTOTP(ctx, codeAt(t, setup.Secret, o.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return o, setup.Secret, codes
}

func testTOTPSetUp(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	_, err := newOwner(t, newStore(t)).BeginTOTP(ctx)
	wantErr(t, "BeginTOTP before onboarding", err, ErrNotOnboarded)
	o := onboarded(t, newStore(t))
	_, err = o.ConfirmTOTP(ctx, "123456")
	wantErr(t, "ConfirmTOTP before BeginTOTP", err, ErrTOTPDisabled)
	setup, err := o.BeginTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(setup.URL, "otpauth://totp/Hearth:alice.example?") || !strings.Contains(setup.URL, "secret="+setup.Secret) ||
		!bytes.HasPrefix(setup.QRPNG, []byte("\x89PNG\r\n")) {
		t.Fatalf("setup = %q, %d bytes of PNG %q", setup.URL, len(setup.QRPNG), setup.QRPNG[:min(8, len(setup.QRPNG))])
	}
	_, err = o.ConfirmTOTP(ctx, codeAt(t, setup.Secret, o.clock.Now().Add(-2*time.Minute)))
	wantErr(t, "ConfirmTOTP with an old code", err, ErrBadCode)
	if st, _ := o.Status(ctx); st.TOTP {
		t.Fatal("two-factor on before a valid code")
	}
	o.login(t, "", "") // no code needed yet
	codes, err := o.ConfirmTOTP(ctx, codeAt(t, setup.Secret, o.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 19 || seen[c] {
			t.Fatalf("recovery codes %q: want %d distinct abcd-efgh-ijkl-mnop codes", codes, RecoveryCodes)
		}
		seen[c] = true
	}
	if len(codes) != RecoveryCodes {
		t.Fatalf("%d recovery codes, want %d", len(codes), RecoveryCodes)
	}
	raw, _, _ := o.store.Get(ctx, accountKey)
	if strings.Contains(string(raw), strings.ReplaceAll(codes[0], "-", "")) {
		t.Fatal("recovery codes stored in the clear")
	}
	if st, _ := o.Status(ctx); !st.TOTP || st.RecoveryCodesLeft != RecoveryCodes {
		t.Fatalf("Status = %+v", st)
	}
	_, err = o.BeginTOTP(ctx)
	wantErr(t, "BeginTOTP when on", err, ErrTOTPEnabled)
}

func testTOTPSetUpExpires(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o := onboarded(t, newStore(t))
	setup, err := o.BeginTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	o.clock.Advance(totpSetupTTL)
	_, err = o.ConfirmTOTP(ctx, codeAt(t, setup.Secret, o.clock.Now()))
	wantErr(t, "late ConfirmTOTP", err, ErrTOTPDisabled)
}

func testTOTPLogin(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o, secret, recovery := withTOTP(t, newStore(t))
	confirmCode := codeAt(t, secret, o.clock.Now())
	for range 2 * DefaultAddrPolicy().Free { // not counted as failures
		_, _, err := o.Login(ctx, testPass, "", ClientInfo{Addr: "192.0.2.1"})
		wantErr(t, "Login without a code", err, ErrNeedsTOTP)
	}
	steps := []struct {
		name    string
		advance time.Duration
		pass    string
		code    func() string
		want    error
	}{
		{"code used to confirm", 0, testPass, func() string { return confirmCode }, ErrBadCode},
		{"wrong passphrase, right code", 30 * time.Second, "wrong passphrase", func() string { return codeAt(t, secret, o.clock.Now()) }, ErrBadPassphrase},
		{"next code", 0, testPass, func() string { return codeAt(t, secret, o.clock.Now()) }, nil},
		{"replayed", 0, testPass, func() string { return codeAt(t, secret, o.clock.Now()) }, ErrBadCode},
		{"replayed later in its window", 20 * time.Second, testPass, func() string { return codeAt(t, secret, o.clock.Now().Add(-20*time.Second)) }, ErrBadCode},
		{"previous step, within skew", 60 * time.Second, testPass, func() string { return codeAt(t, secret, o.clock.Now().Add(-30*time.Second)) }, nil},
		{"two steps back", 5 * time.Minute, testPass, func() string { return codeAt(t, secret, o.clock.Now().Add(-60*time.Second)) }, ErrBadCode},
		{"wrong code", 0, testPass, func() string { return "000000" }, ErrBadCode},
		{"letters", 0, testPass, func() string { return "abcdef" }, ErrBadCode},
		{"spaced code", 0, testPass, func() string { c := codeAt(t, secret, o.clock.Now()); return c[:3] + " " + c[3:] }, nil},
		{"recovery code", 0, testPass, func() string { return recovery[0] }, nil},
		{"recovery code again", 0, testPass, func() string { return recovery[0] }, ErrBadCode},
		{"recovery code, upper case without dashes", 0, testPass, func() string { return strings.ToUpper(strings.ReplaceAll(recovery[1], "-", "")) }, nil},
	}
	for _, s := range steps {
		o.clock.Advance(s.advance)
		_, _, err := o.Login(ctx, s.pass, s.code(), ClientInfo{Addr: "192.0.2.1"})
		if (s.want == nil) != (err == nil) || s.want != nil && !errors.Is(err, s.want) {
			t.Fatalf("%s: Login = %v, want %v", s.name, err, s.want)
		}
	}
	if st, _ := o.Status(ctx); st.RecoveryCodesLeft != RecoveryCodes-2 {
		t.Fatalf("recovery codes left %d, want %d", st.RecoveryCodesLeft, RecoveryCodes-2)
	}
}

func testTOTPDisableAndRegenerate(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o, _, recovery := withTOTP(t, newStore(t))
	_, err := o.RegenerateRecoveryCodes(ctx, "wrong passphrase")
	wantErr(t, "RegenerateRecoveryCodes with a wrong passphrase", err, ErrBadPassphrase)
	fresh, err := o.RegenerateRecoveryCodes(ctx, testPass)
	if err != nil || len(fresh) != RecoveryCodes {
		t.Fatalf("RegenerateRecoveryCodes = %d codes, %v", len(fresh), err)
	}
	_, _, err = o.Login(ctx, testPass, recovery[2], ClientInfo{})
	wantErr(t, "an old recovery code", err, ErrBadCode)
	o.clock.Advance(time.Minute)
	o.login(t, fresh[0], "")
	wantErr(t, "DisableTOTP with a wrong passphrase", o.DisableTOTP(ctx, "wrong passphrase"), ErrBadPassphrase)
	if err := o.DisableTOTP(ctx, testPass); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "DisableTOTP twice", o.DisableTOTP(ctx, testPass), ErrTOTPDisabled)
	o.login(t, "", "")
	_, err = o.RegenerateRecoveryCodes(ctx, testPass)
	wantErr(t, "RegenerateRecoveryCodes when off", err, ErrTOTPDisabled)
}

func testReset(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o, secret, _ := withTOTP(t, newStore(t))
	o.clock.Advance(time.Minute)
	cookie, _ := o.login(t, codeAt(t, secret, o.clock.Now()), "")
	tok, _, err := o.Reset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := o.Status(ctx); err != nil || st != (Status{OnboardingPending: true}) {
		t.Fatalf("Status after Reset = %+v, %v", st, err)
	}
	_, err = o.Session(ctx, cookie)
	wantErr(t, "a session after Reset", err, ErrNoSession)
	_, _, err = o.Login(ctx, testPass, "", ClientInfo{})
	wantErr(t, "Login after Reset", err, ErrNotOnboarded)
	const next = "a brand new passphrase"
	if err := o.Onboard(ctx, tok, next); err != nil {
		t.Fatal(err)
	}
	if _, _, err := o.Login(ctx, next, "", ClientInfo{}); err != nil {
		t.Fatalf("Login after onboarding again (no two-factor): %v", err)
	}
}
