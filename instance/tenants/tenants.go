// Package tenants keeps the list of instances a runtime serves: one record per instance, in a
// database of the same kivik backend as the documents, so that every runtime sharing a CouchDB
// sees the same instances.
package tenants

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// DBName is the database holding one record per instance.
const DBName = "hearth_instances"

// Instance states.
const (
	StateActive  = "active"
	StateBlocked = "blocked"
)

// Errors of this package.
var (
	ErrNotFound  = errors.New("tenants: no such instance")
	ErrExists    = errors.New("tenants: instance already exists")
	ErrBadDomain = errors.New("tenants: invalid domain")
)

// Instance is one owner's personal cloud.
type Instance struct {
	Domain    string    `json:"_id"`
	Rev       string    `json:"_rev,omitempty"`
	ID        string    `json:"id"`     // lower-case hex; prefixes the instance's databases
	Secret    []byte    `json:"secret"` // signs the instance's tokens
	State     string    `json:"state"`
	CreatedAt time.Time `json:"created_at"`
}

var domainRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:[0-9]{1,5})?$`)

// NormalizeDomain lower-cases domain and checks it is a host name with an optional port.
func NormalizeDomain(domain string) (string, error) {
	d := strings.ToLower(strings.TrimSpace(domain))
	d = strings.TrimSuffix(d, ".")
	if len(d) == 0 || len(d) > 253 || !domainRe.MatchString(d) {
		return "", fmt.Errorf("%w: %q (want a host name such as alice.example.org, optionally with :port)", ErrBadDomain, domain)
	}
	return d, nil
}

func newInstance(domain string, now time.Time) (*Instance, error) {
	id := make([]byte, 8)
	secret := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("tenants: %w", err)
	}
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("tenants: %w", err)
	}
	return &Instance{
		Domain:    domain,
		ID:        hex.EncodeToString(id),
		Secret:    secret,
		State:     StateActive,
		CreatedAt: now.UTC().Truncate(time.Second),
	}, nil
}
