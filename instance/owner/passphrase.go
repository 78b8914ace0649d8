package owner

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// Passphrase length bounds, counted after NFC normalization: at least MinPassphraseChars
// characters (code points) and at most MaxPassphraseBytes bytes of UTF-8.
const (
	MinPassphraseChars = 10
	MaxPassphraseBytes = 1024
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams are the parameters new hashes use: 64 MiB, 2 passes, 2 lanes, a 16-byte salt
// and a 32-byte hash. On the 2-core development machine one hash takes about 75 ms (t=1: 45 ms,
// t=3: 115 ms; see BenchmarkHash), a fair price for a login on a small server.
func DefaultParams() Params {
	return Params{Memory: 64 * 1024, Time: 2, Threads: 2, SaltLen: 16, KeyLen: 32}
}

// Bounds on parameters read back from a stored hash, so that a damaged record cannot make a
// login allocate without limit.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 32
	maxSaltLen   = 64
	maxKeyLen    = 64
)

// NormalizePassphrase returns p in Unicode NFC, so that the same passphrase typed on systems
// that compose accents differently hashes the same, after checking the rules: valid UTF-8, at
// least MinPassphraseChars characters, at most MaxPassphraseBytes bytes. Errors wrap
// ErrInvalidPassphrase and say which rule failed.
func NormalizePassphrase(p string) (string, error) {
	if !utf8.ValidString(p) {
		return "", fmt.Errorf("%w: it is not valid UTF-8 text", ErrInvalidPassphrase)
	}
	p = norm.NFC.String(p)
	if n := utf8.RuneCountInString(p); n < MinPassphraseChars {
		return "", fmt.Errorf("%w: it has %d characters, it needs at least %d", ErrInvalidPassphrase, n, MinPassphraseChars)
	}
	if len(p) > MaxPassphraseBytes {
		return "", fmt.Errorf("%w: it is %d bytes long, at most %d are allowed", ErrInvalidPassphrase, len(p), MaxPassphraseBytes)
	}
	return p, nil
}

// Hasher hashes and verifies passphrases with argon2id, running at most a few hashes at a time
// so that a flood of logins cannot allocate Params.Memory each without bound. One Hasher may
// serve every instance of a runtime.
type Hasher struct {
	params Params
	sem    chan struct{} // one token per hash allowed to run
	runs   atomic.Int64  // hashes computed, for tests
}

// NewHasher returns a Hasher using p for new hashes and running at most concurrent hashes at
// once (at least one).
func NewHasher(p Params, concurrent int) *Hasher {
	if concurrent < 1 {
		concurrent = 1
	}
	return &Hasher{params: p, sem: make(chan struct{}, concurrent)}
}

// Hash returns the PHC string of p (already normalized) with a fresh salt.
func (h *Hasher) Hash(ctx context.Context, p string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("owner: salt: %w", err)
	}
	key, err := h.derive(ctx, p, salt, h.params)
	if err != nil {
		return "", err
	}
	return encodeHash(h.params, salt, key), nil
}

// Verify reports whether p matches encoded, comparing in constant time, and whether encoded
// should be rehashed because its parameters differ from the current ones.
func (h *Hasher) Verify(ctx context.Context, encoded, p string) (ok, rehash bool, err error) {
	params, salt, want, err := decodeHash(encoded)
	if err != nil {
		return false, false, err
	}
	got, err := h.derive(ctx, p, salt, params)
	if err != nil {
		return false, false, err
	}
	ok = subtle.ConstantTimeCompare(got, want) == 1
	return ok, params != h.params, nil
}

func (h *Hasher) derive(ctx context.Context, p string, salt []byte, params Params) ([]byte, error) {
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-h.sem }()
	h.runs.Add(1)
	return argon2.IDKey([]byte(p), salt, params.Time, params.Memory, params.Threads, params.KeyLen), nil
}

var b64 = base64.RawStdEncoding

func encodeHash(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

var errBadHash = errors.New("owner: stored passphrase hash is malformed")

// decodeHash parses "$argon2id$v=19$m=…,t=…,p=…$salt$hash".
func decodeHash(s string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, fmt.Errorf("%w: version %q", errBadHash, parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("%w: parameters %q", errBadHash, parts[3])
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, fmt.Errorf("%w: salt", errBadHash)
	}
	if key, err = b64.DecodeString(parts[5]); err != nil {
		return p, nil, nil, fmt.Errorf("%w: hash", errBadHash)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	if p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemoryKiB || p.Time < 1 || p.Time > maxTime ||
		p.Threads < 1 || len(salt) < 8 || len(salt) > maxSaltLen || len(key) < 16 || len(key) > maxKeyLen {
		return p, nil, nil, fmt.Errorf("%w: parameters out of bounds", errBadHash)
	}
	return p, salt, key, nil
}
