package owner

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// scenarios are the Owner's tests, each run on both backends.
var scenarios = []struct {
	name string
	f    func(t *testing.T, newStore newStoreFunc)
}{
	{"onboarding", testOnboardingHappyPath},
	{"onboarding tokens", testOnboardingTokens},
	{"onboarding concurrent", testOnboardingConcurrent},
	{"signed onboarding", testSignedOnboardingHappyPath},
	{"signed onboarding tokens", testSignedOnboardingTokens},
	{"signed onboarding generations", testSignedOnboardingGenerations},
	{"signed onboarding after reset", testSignedOnboardingAfterReset},
	{"signed onboarding concurrent", testSignedOnboardingConcurrent},
	{"check onboarding writes nothing", testCheckOnboardingWritesNothing},
	{"login passphrases", testLoginPassphrases},
	{"login NFC and NFD", testLoginNFCAndNFD},
	{"login damaged record", testLoginDamagedRecord},
	{"login rehash", testLoginRehash},
	{"throttle per address", testThrottlePerAddress},
	{"throttle per instance", testThrottlePerInstance},
	{"throttle shared by instances", testThrottleSharedByInstances},
	{"session idle timeout", testSessionIdleTimeout},
	{"session absolute lifetime", testSessionAbsoluteLifetime},
	{"session last seen written at most every minute", testSessionLastSeenWrittenAtMostEveryMinute},
	{"session bad cookies", testSessionBadCookies},
	{"session logout", testSessionLogout},
	{"session list and revoke", testSessionListAndRevoke},
	{"session long client info is clipped", testSessionLongClientInfoIsClipped},
	{"change passphrase", testChangePassphrase},
	{"change passphrase throttled per session", testChangePassphraseThrottled},
	{"totp set up", testTOTPSetUp},
	{"totp set up expires", testTOTPSetUpExpires},
	{"totp login", testTOTPLogin},
	{"totp disable and regenerate", testTOTPDisableAndRegenerate},
	{"reset by the administrator", testReset},
	{"concurrent logins", testConcurrentLogins},
	{"concurrent logins with one TOTP code", testConcurrentOneTOTPCodeManyLogins},
	{"concurrent logins with one recovery code", testConcurrentOneRecoveryCodeManyLogins},
	{"concurrent passphrase change and logins", testConcurrentPassphraseChangeRacingLogins},
	{"concurrent burst of guesses from one address", testConcurrentBurstOfGuessesFromOneAddress},
	{"concurrent session touches", testConcurrentSessionsTouchedAtOnce},
}

// TestOwner runs every scenario on both backends.
func TestOwner(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) { sc.f(t, newStore) })
		}
	})
}

func TestNewNeedsStore(t *testing.T) {
	if _, err := New(Config{Instance: "x"}); err == nil {
		t.Fatal("New without a store succeeded")
	}
	if _, err := New(Config{Store: KivikStore{}}); err == nil {
		t.Fatal("New without an instance succeeded")
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s = %v, want %v", what, err, want)
	}
}

func testOnboardingHappyPath(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o := newOwner(t, newStore(t))
	st, err := o.Status(ctx)
	if err != nil || st != (Status{}) {
		t.Fatalf("Status of a new instance = %+v, %v", st, err)
	}
	_, _, err = o.Login(ctx, testPass, "", ClientInfo{})
	wantErr(t, "Login before onboarding", err, ErrNotOnboarded)
	tok, exp, err := o.NewOnboarding(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != 43 || strings.ContainsAny(tok, "+/=") || !exp.Equal(o.clock.Now().Add(DefaultOnboardingTTL)) {
		t.Fatalf("token %q expiring %v: want 43 URL-safe characters, 7 days", tok, exp)
	}
	if st, _ := o.Status(ctx); !st.OnboardingPending || st.Onboarded {
		t.Fatalf("Status after NewOnboarding = %+v", st)
	}
	raw, _, err := o.store.Get(ctx, accountKey)
	if err != nil || strings.Contains(string(raw), tok) {
		t.Fatalf("the token is stored in the clear (or %v): %s", err, raw)
	}
	wantErr(t, "Onboard with a short passphrase", o.Onboard(ctx, tok, "short"), ErrInvalidPassphrase)
	if err := o.Onboard(ctx, tok, testPass); err != nil {
		t.Fatalf("Onboard: %v", err)
	}
	wantErr(t, "second Onboard", o.Onboard(ctx, tok, testPass), ErrAlreadyOnboarded)
	_, _, err = o.NewOnboarding(ctx)
	wantErr(t, "NewOnboarding after onboarding", err, ErrAlreadyOnboarded)
	if st, _ := o.Status(ctx); !st.Onboarded || st.OnboardingPending {
		t.Fatalf("Status after Onboard = %+v", st)
	}
	o.login(t, "", "192.0.2.1")
}

func testOnboardingTokens(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	tests := []struct {
		name  string
		token func(t *testing.T, o *testOwner, issued string) string
		want  error
	}{
		{"wrong token", func(*testing.T, *testOwner, string) string { return strings.Repeat("A", 43) }, ErrBadToken},
		{"malformed token", func(*testing.T, *testOwner, string) string { return "../../etc" }, ErrBadToken},
		{"empty token", func(*testing.T, *testOwner, string) string { return "" }, ErrBadToken},
		{"expired", func(_ *testing.T, o *testOwner, tok string) string { o.clock.Advance(DefaultOnboardingTTL); return tok }, ErrTokenExpired},
		{"replaced", func(t *testing.T, o *testOwner, tok string) string {
			if _, _, err := o.NewOnboarding(ctx); err != nil {
				t.Fatal(err)
			}
			return tok
		}, ErrBadToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOwner(t, newStore(t))
			tok, _, err := o.NewOnboarding(ctx)
			if err != nil {
				t.Fatal(err)
			}
			wantErr(t, "Onboard", o.Onboard(ctx, tt.token(t, o, tok), testPass), tt.want)
		})
	}
	t.Run("no token issued", func(t *testing.T) {
		o := newOwner(t, newStore(t))
		wantErr(t, "Onboard", o.Onboard(ctx, strings.Repeat("A", 43), testPass), ErrBadToken)
	})
}

func testOnboardingConcurrent(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o := newOwner(t, newStore(t))
	tok, _, err := o.NewOnboarding(ctx)
	if err != nil {
		t.Fatal(err)
	}
	errs := parallel(racers, func(i int) error { return o.Onboard(ctx, tok, testPass+string(rune('a'+i))) })
	if ok := successes(t, errs, ErrAlreadyOnboarded); ok != 1 {
		t.Fatalf("%d concurrent Onboard calls succeeded, want 1", ok)
	}
}

func testLoginPassphrases(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o := onboarded(t, newStore(t))
	tests := []struct {
		name, pass string
		want       error
		hashes     int64 // argon2 runs the attempt costs
	}{
		{"right", testPass, nil, 1},
		{"wrong", testPass + "!", ErrBadPassphrase, 1},
		{"wrong, same length", "correct horse battery stapl3", ErrBadPassphrase, 1},
		{"wrong, with accents", "cafe\u0301 cafe\u0301 cafe\u0301", ErrBadPassphrase, 1},
		{"too short to be right", "short", ErrBadPassphrase, 0},
		{"empty", "", ErrBadPassphrase, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := o.hasher.runs.Load()
			cookie, info, err := o.Login(ctx, tt.pass, "", ClientInfo{Addr: "192.0.2.7:1234", UserAgent: "Firefox"})
			if hashes := o.hasher.runs.Load() - before; hashes != tt.hashes {
				t.Errorf("the attempt ran %d hashes, want %d", hashes, tt.hashes)
			}
			if tt.want != nil {
				wantErr(t, "Login", err, tt.want)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := o.Session(ctx, cookie)
			if err != nil || got.ID != info.ID || got.ID != SessionID(cookie) || got.Addr != "192.0.2.7:1234" || got.UserAgent != "Firefox" {
				t.Fatalf("Session = %+v, %v; want %+v", got, err, info)
			}
		})
	}
}

func testLoginNFCAndNFD(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o := newOwner(t, newStore(t))
	tok, _, _ := o.NewOnboarding(ctx)
	if err := o.Onboard(ctx, tok, "cr\u00e8me br\u00fbl\u00e9e"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := o.Login(ctx, "cre\u0300me bru\u0302le\u0301e", "", ClientInfo{}); err != nil {
		t.Fatalf("Login with the decomposed form: %v", err)
	}
}

func testLoginDamagedRecord(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	st := newStore(t)
	o := onboarded(t, st)
	_, rev, _ := st.Get(ctx, accountKey)
	if _, err := st.Put(ctx, accountKey, []byte(`{"hash":"$argon2id$v=19$m=1,t=1,p=1$AA$AA","epoch":1}`), rev); err != nil {
		t.Fatal(err)
	}
	_, _, err := o.Login(ctx, testPass, "", ClientInfo{})
	if err == nil || errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("Login on a damaged hash = %v, want an internal error", err)
	}
}

func testLoginRehash(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	st := newStore(t)
	onboarded(t, st)
	stronger := cheapParams()
	stronger.Time = 2
	o2 := newOwner(t, st, func(c *Config) { c.Hasher = NewHasher(stronger, 1) })
	o2.login(t, "", "")
	raw, _, err := st.Get(ctx, accountKey)
	if err != nil || !strings.Contains(string(raw), "m=64,t=2,p=1$") {
		t.Fatalf("account after login with new parameters (%v): %s", err, raw)
	}
	o2.login(t, "", "") // the new hash works
}

func testThrottlePerAddress(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o := onboarded(t, newStore(t))
	attacker := ClientInfo{Addr: "198.51.100.9:4000"}
	for i := range DefaultAddrPolicy().Free {
		_, _, err := o.Login(ctx, "wrong passphrase", "", attacker)
		wantErr(t, "failed login "+string(rune('1'+i)), err, ErrBadPassphrase)
	}
	before := o.hasher.runs.Load()
	_, _, err := o.Login(ctx, testPass, "", ClientInfo{Addr: "198.51.100.9:4001"})
	if d := throttledFor(t, err); d != time.Second {
		t.Fatalf("retry after %v, want 1s", d)
	}
	if o.hasher.runs.Load() != before {
		t.Fatal("a throttled attempt was checked")
	}
	o.login(t, "", "203.0.113.5") // another address is not held back
	o.clock.Advance(time.Second)
	o.login(t, "", "198.51.100.9") // success forgets the address's failures
	for range DefaultAddrPolicy().Free {
		_, _, err := o.Login(ctx, "wrong passphrase", "", attacker)
		wantErr(t, "failed login after reset", err, ErrBadPassphrase)
	}
}

func testThrottlePerInstance(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o := onboarded(t, newStore(t))
	free := DefaultInstancePolicy().Free
	for i := range free {
		addr := ClientInfo{Addr: "10.0.0." + string(rune('0'+i%10)) + string(rune('0'+i/10))}
		_, _, err := o.Login(ctx, "wrong passphrase", "", addr)
		wantErr(t, "failed login", err, ErrBadPassphrase)
	}
	_, _, err := o.Login(ctx, testPass, "", ClientInfo{Addr: "203.0.113.1"})
	if d := throttledFor(t, err); d != time.Second {
		t.Fatalf("retry after %v, want 1s", d)
	}
	o.clock.Advance(DefaultInstancePolicy().Max)
	o.login(t, "", "203.0.113.1")
}

func testThrottleSharedByInstances(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	attacker := ClientInfo{Addr: "198.51.100.9:4000"}
	th := NewThrottle(0)
	a := onboarded(t, newStore(t), func(c *Config) { c.Throttle, c.Instance = th, "aaaa" })
	b := onboarded(t, newStore(t), func(c *Config) { c.Throttle, c.Instance = th, "bbbb" })
	for range DefaultAddrPolicy().Free {
		_, _, _ = a.Login(ctx, "wrong passphrase", "", attacker)
	}
	_, _, err := a.Login(ctx, testPass, "", attacker)
	throttledFor(t, err)
	b.login(t, "", attacker.Addr)
}
