package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrBadToken is returned for a token that is malformed, forged, expired or for another instance.
var ErrBadToken = errors.New("auth: invalid token")

// Claims is what a token says about its holder.
type Claims struct {
	Instance string   `json:"i"`           // instance id the token is valid on
	Scopes   []string `json:"s"`           // scopes in ParseScope form
	Issued   int64    `json:"t"`           // unix seconds
	Expires  int64    `json:"e,omitempty"` // unix seconds; 0 means no expiry
	Subject  string   `json:"u,omitempty"` // who holds it: "cli", an app slug, a device id
}

var b64 = base64.RawURLEncoding

// Issue signs claims with the instance secret.
func Issue(secret []byte, c Claims) (string, error) {
	if len(secret) < 16 {
		return "", fmt.Errorf("auth: instance secret too short")
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("auth: encode claims: %w", err)
	}
	p := b64.EncodeToString(payload)
	return p + "." + b64.EncodeToString(sign(secret, p)), nil
}

// Verify checks the token's signature with secret, that it belongs to instance and that it has
// not expired, and returns its permissions.
func Verify(secret []byte, instance, token string, now time.Time) (Claims, Permissions, error) {
	c, p, err := split(token)
	if err != nil {
		return Claims{}, nil, err
	}
	sig, err := b64.DecodeString(token[len(p)+1:])
	if err != nil || !hmac.Equal(sig, sign(secret, p)) {
		return Claims{}, nil, ErrBadToken
	}
	if c.Instance != instance {
		return Claims{}, nil, ErrBadToken
	}
	if c.Expires != 0 && now.Unix() >= c.Expires {
		return Claims{}, nil, fmt.Errorf("%w: expired", ErrBadToken)
	}
	perms, err := ParseScopes(c.Scopes)
	if err != nil {
		return Claims{}, nil, ErrBadToken
	}
	return c, perms, nil
}

// InstanceOf returns the instance id a token claims, without checking anything: to find which
// instance's secret verifies it, when the request does not say (a local app calling the
// runtime by address). Verify must follow.
func InstanceOf(token string) (string, bool) {
	c, _, err := split(token)
	return c.Instance, err == nil && c.Instance != ""
}

func split(token string) (Claims, string, error) {
	p, _, ok := strings.Cut(token, ".")
	if !ok || len(token) > 16<<10 {
		return Claims{}, "", ErrBadToken
	}
	raw, err := b64.DecodeString(p)
	if err != nil {
		return Claims{}, "", ErrBadToken
	}
	var c Claims
	if err := json.Unmarshal(raw, &c); err != nil {
		return Claims{}, "", ErrBadToken
	}
	return c, p, nil
}

func sign(secret []byte, payload string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("hearth-token\x00"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// Bearer extracts the token from an Authorization header value.
func Bearer(header string) (string, bool) {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
