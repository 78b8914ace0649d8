package owner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"
)

// Config is what an Owner needs. Store is required; zero values elsewhere take the defaults.
type Config struct {
	Store Store
	// Instance is the instance id: it keys the throttle, so it must differ between instances
	// sharing one Throttle.
	Instance string
	// Label names the account in authenticator apps (the instance domain, say); default Instance.
	Label string
	// Issuer names the service in authenticator apps; default "Hearth".
	Issuer string
	// Hasher hashes passphrases; share one between instances. Default: DefaultParams, two at once.
	Hasher *Hasher
	// Throttle counts failed logins; share one between instances. Default: a private one.
	Throttle *Throttle
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Secret is this instance's key for signed onboarding links (SignedOnboarding): at least
	// MinSecretLen random bytes, derived from the instance's secret and kept by the runtime,
	// never stored here. Without it, SignedOnboarding fails and signed links are refused.
	Secret []byte

	OnboardingTTL time.Duration // life of an onboarding token; default 7 days
	SessionIdle   time.Duration // a session unused this long ends; default 14 days
	SessionMax    time.Duration // a session ends this long after login; default 60 days
	TouchEvery    time.Duration // a session's last-seen time is written at most this often; default 1 min
}

// Default lifetimes.
const (
	DefaultOnboardingTTL = 7 * 24 * time.Hour
	DefaultSessionIdle   = 14 * 24 * time.Hour
	DefaultSessionMax    = 60 * 24 * time.Hour
	DefaultTouchEvery    = time.Minute
	// totpSetupTTL bounds how long a begun TOTP set-up waits for its confirmation.
	totpSetupTTL = 15 * time.Minute
)

// Owner authenticates the owner of one instance. It is safe for concurrent use; its state
// lives in the Store, except the throttle's counts.
type Owner struct {
	cfg Config
}

// New returns the Owner of the instance cfg describes.
func New(cfg Config) (*Owner, error) {
	if cfg.Store == nil {
		return nil, errors.New("owner: Config.Store is required")
	}
	if cfg.Label == "" {
		cfg.Label = cfg.Instance
	}
	if cfg.Label == "" {
		return nil, errors.New("owner: Config.Instance is required")
	}
	if len(cfg.Secret) > 0 && len(cfg.Secret) < MinSecretLen {
		return nil, fmt.Errorf("owner: Config.Secret has %d bytes, it needs at least %d", len(cfg.Secret), MinSecretLen)
	}
	cfg.Secret = bytes.Clone(cfg.Secret)
	if cfg.Issuer == "" {
		cfg.Issuer = "Hearth"
	}
	if cfg.Hasher == nil {
		cfg.Hasher = NewHasher(DefaultParams(), 2)
	}
	if cfg.Throttle == nil {
		cfg.Throttle = NewThrottle(0)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	setDefault(&cfg.OnboardingTTL, DefaultOnboardingTTL)
	setDefault(&cfg.SessionIdle, DefaultSessionIdle)
	setDefault(&cfg.SessionMax, DefaultSessionMax)
	setDefault(&cfg.TouchEvery, DefaultTouchEvery)
	return &Owner{cfg: cfg}, nil
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// Status is what the web pages need to choose between onboarding, login and settings.
type Status struct {
	Onboarded         bool // a passphrase is set
	OnboardingPending bool // a stored onboarding token was issued and has not expired (signed ones are not seen)
	TOTP              bool // two-factor is on
	RecoveryCodesLeft int  // unused recovery codes, when TOTP is on
}

// Status returns the owner's authentication status.
func (o *Owner) Status(ctx context.Context) (Status, error) {
	a, _, err := o.loadAccount(ctx)
	if err != nil {
		return Status{}, err
	}
	s := Status{
		Onboarded:         a.Hash != "",
		OnboardingPending: a.Hash == "" && a.OnboardHash != "" && o.now().Before(a.OnboardExpires),
	}
	if a.TOTP != nil {
		s.TOTP, s.RecoveryCodesLeft = true, len(a.TOTP.Recovery)
	}
	return s, nil
}

func (o *Owner) now() time.Time { return o.cfg.Now() }

// instanceKey is the throttle key of every attempt on this instance.
func (o *Owner) instanceKey() throttleKey {
	return throttleKey{name: "i\x00" + o.cfg.Instance, policy: o.cfg.Throttle.instancePolicy()}
}

// clientKey is the throttle key of one client address (or another client identity) here.
func (o *Owner) clientKey(kind, id string) throttleKey {
	return throttleKey{name: kind + "\x00" + o.cfg.Instance + "\x00" + id, policy: o.cfg.Throttle.addrPolicy(), reset: true}
}
