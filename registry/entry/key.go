package entry

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// FingerprintPrefix starts every key fingerprint.
const FingerprintPrefix = "ed25519:"

// ErrKey is returned for a malformed fingerprint or key file.
var ErrKey = errors.New("entry: bad key")

// Fingerprint names an ed25519 public key: "ed25519:" + the key in
// unpadded base64url. It is the key itself, so pinning it pins the key.
func Fingerprint(pub ed25519.PublicKey) string {
	return FingerprintPrefix + base64.RawURLEncoding.EncodeToString(pub)
}

// ParseFingerprint returns the public key a fingerprint names.
func ParseFingerprint(fp string) (ed25519.PublicKey, error) {
	rest, ok := strings.CutPrefix(fp, FingerprintPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: fingerprint must start with %q", ErrKey, FingerprintPrefix)
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: fingerprint is not %s and a %d-byte key in unpadded base64url",
			ErrKey, FingerprintPrefix, ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// Signer is a registry's signing key.
type Signer struct {
	key ed25519.PrivateKey
	fp  string
}

// NewSigner wraps an ed25519 private key.
func NewSigner(key ed25519.PrivateKey) *Signer {
	return &Signer{key: key, fp: Fingerprint(key.Public().(ed25519.PublicKey))}
}

// GenerateSigner makes a new random key.
func GenerateSigner() (*Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return NewSigner(priv), nil
}

// Fingerprint is the fingerprint of the signer's public key.
func (s *Signer) Fingerprint() string { return s.fp }

// PublicKey is the signer's public key.
func (s *Signer) PublicKey() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// keyPEMType is the PEM block of a key file: PKCS #8, as openssl writes it.
const keyPEMType = "PRIVATE KEY"

// LoadOrCreateKey reads the PEM (PKCS #8) ed25519 key at path, or creates
// one there (mode 0600) when the file does not exist.
func LoadOrCreateKey(path string) (*Signer, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path)
	}
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != keyPEMType {
		return nil, fmt.Errorf("%w: %s holds no %q PEM block", ErrKey, path, keyPEMType)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrKey, path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not an ed25519 key", ErrKey, path)
	}
	return NewSigner(priv), nil
}

func createKey(path string) (*Signer, error) {
	s, err := GenerateSigner()
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(s.key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	tmp := path + ".tmp"
	data := pem.EncodeToMemory(&pem.Block{Type: keyPEMType, Bytes: der})
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return nil, err
	}
	// Link, not rename: two processes creating the key at once keep one key.
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return LoadOrCreateKey(path)
		}
		return nil, err
	}
	return s, nil
}
