package auth

import (
	"sync"
	"time"
)

// verifyCacheSize bounds how many tokens a VerifyCache remembers; when full it starts over.
const verifyCacheSize = 4096

// VerifyCache remembers tokens already verified, so that a busy client does not pay for the
// signature check and the scope parsing on every request. Only valid tokens are remembered,
// keyed by the instance they were verified for; expiry is checked on every use. The zero value
// is ready to use.
type VerifyCache struct {
	mu sync.Mutex
	m  map[string]verified // instance id + "\x00" + token; guarded by mu
}

type verified struct {
	claims Claims
	perms  Permissions
}

// Verify is Verify, remembering the answer for valid tokens.
func (c *VerifyCache) Verify(secret []byte, instance, token string, now time.Time) (Claims, Permissions, error) {
	key := instance + "\x00" + token
	c.mu.Lock()
	v, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		if v.claims.Expires != 0 && now.Unix() >= v.claims.Expires {
			return Claims{}, nil, ErrBadToken
		}
		return v.claims, v.perms, nil
	}
	claims, perms, err := Verify(secret, instance, token, now)
	if err != nil {
		return claims, perms, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= verifyCacheSize {
		c.m = make(map[string]verified)
	}
	c.m[key] = verified{claims: claims, perms: perms}
	c.mu.Unlock()
	return claims, perms, nil
}
