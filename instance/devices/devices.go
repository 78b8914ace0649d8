// Package devices lets the owner's devices (a phone app, a desktop client, a script, the hearth
// CLI) connect to an instance with OAuth 2.0: a device registers itself (RFC 7591, public
// clients only), asks for an authorization code with PKCE (RFC 7636, S256 only), the owner
// approves on the instance which doctypes it may sync, read or read-write, and the device trades
// the code for a short access token and a refresh token (RFC 6749), rotated on every use.
//
// Registrations are stateless: the client id is the client's metadata signed with the
// instance's key, so that registering writes nothing. Each approved device is a record in the
// instance's devices database; its codes and refresh tokens are keyed by a random value of
// that record and the instance's secret, so the database alone yields no token. Access tokens
// are the instance's bearer tokens (package auth) with the device as subject; they are checked
// against the record on use (Check), so a revoked device loses access at once.
package devices

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"log/slog"
	"sync"
	"time"

	kivik "github.com/go-kivik/kivik/v4"

	"github.com/hearth-cloud/hearth/internal/expiring"
)

// Lifetimes and limits.
const (
	CodeTTL        = 60 * time.Second // an authorization code, from the owner's approval
	AccessTokenTTL = time.Hour
	// SubjectPrefix starts the subject of a device's access tokens, followed by the device id.
	SubjectPrefix = "device:"
)

// Device states.
const (
	StatePending = "pending" // approved by the owner, code not exchanged yet
	StateActive  = "active"
	StateRevoked = "revoked"
)

// Errors of the owner-facing operations.
var (
	ErrNotFound = errors.New("devices: no such device")
	ErrRevoked  = errors.New("devices: the device was revoked")
)

// Realm is an instance as devices see it.
type Realm struct {
	ID     string // instance id, carried by its tokens
	Secret []byte // the instance's secret: signs tokens, keys client ids, codes and refresh tokens
	Issuer string // the instance's origin as clients reach it, "https://alice.example"
}

// key derives the instance's key of purpose.
func (r Realm) key(purpose string) []byte {
	m := hmac.New(sha256.New, r.Secret)
	m.Write([]byte("hearth-devices\x00" + purpose))
	return m.Sum(nil)
}

// Device is one approved device.
type Device struct {
	ID       string    `json:"_id"`
	Rev      string    `json:"_rev,omitempty"`
	Name     string    `json:"name"`      // the name the device registered with, as the owner saw it
	ClientID string    `json:"client_id"` // the registration it came through
	Scopes   []string  `json:"scopes"`    // what the owner granted, in auth.ParseScope form
	State    string    `json:"state"`
	Approved time.Time `json:"approved"`
	LastSync time.Time `json:"last_sync,omitzero"` // last use of its token, to the minute
	Revoked  time.Time `json:"revoked,omitzero"`
	Why      string    `json:"why,omitempty"` // why it was revoked, when not by the owner
	// Nonce keys the device's code and refresh tokens; a new device, a new nonce.
	Nonce string `json:"nonce"`
	// While pending: what the code is bound to.
	RedirectURI string    `json:"redirect_uri,omitempty"`
	Challenge   string    `json:"code_challenge,omitempty"`
	CodeExpires time.Time `json:"code_expires,omitzero"`
	// Generation numbers the refresh tokens: only the current one is accepted.
	Generation int `json:"generation,omitempty"`
}

// Service keeps the devices of every instance of a runtime. Set DB; the zero values of the
// other fields are usable.
type Service struct {
	// DB returns the devices database of an instance (created by its first write).
	DB  func(instanceID string) *kivik.DB
	Log *slog.Logger
	// CheckTTL is how long a device record read by Check is trusted (default 5 s): revocations
	// made through this Service take effect at once, those of another runtime within CheckTTL.
	CheckTTL time.Duration
	// SeenEvery is how often a device's last sync is written at most (default a minute).
	SeenEvery time.Duration
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
	// OnRevoke, if set, is called once a device is revoked (by the owner, or on a code or
	// refresh token used twice), so that what its tokens hold open ends too.
	OnRevoke func(instanceID, id string)

	checked expiring.Map[*Device] // instance id + "/" + device id → record, for Check
	seenMu  sync.Mutex
	seen    map[string]time.Time // instance id + "/" + device id → last sync written; guarded by seenMu
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func (s *Service) checkTTL() time.Duration {
	if s.CheckTTL > 0 {
		return s.CheckTTL
	}
	return 5 * time.Second
}

func (s *Service) seenEvery() time.Duration {
	if s.SeenEvery > 0 {
		return s.SeenEvery
	}
	return time.Minute
}

// ctxOrBackground keeps writes that must happen (a revocation on reuse) from a canceled request.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}
