package entry

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// ErrSignature is returned when an entry lacks a valid signature by the key
// it must be signed with.
var ErrSignature = errors.New("entry: signature does not verify")

// Signature is one registry's signature over an entry's bytes.
type Signature struct {
	Key string `json:"key"` // the signer's fingerprint
	Sig string `json:"sig"` // ed25519 signature, unpadded base64url
}

// Signed is an entry as registries store and serve it: the exact bytes that
// were signed and the signatures over them, the origin's first.
type Signed struct {
	Entry      json.RawMessage `json:"entry"`
	Signatures []Signature     `json:"signatures"`
}

// signingContext is prepended to the bytes signed, so that an entry's
// signature can never be taken for a signature of something else.
const signingContext = "hearth-registry-entry-v1\x00"

func message(data []byte) []byte {
	return append([]byte(signingContext), data...)
}

// Sign encodes e, checks it, and signs it. e.Origin.Key must be the signer's.
func (s *Signer) Sign(e *Entry) (*Signed, error) {
	if e.Origin.Key != s.fp {
		return nil, fmt.Errorf("%w: entry's origin key %s is not the signer's %s", ErrFormat, e.Origin.Key, s.fp)
	}
	if err := e.Check(); err != nil {
		return nil, err
	}
	data, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	sig := ed25519.Sign(s.key, message(data))
	return &Signed{Entry: data, Signatures: []Signature{{Key: s.fp, Sig: base64.RawURLEncoding.EncodeToString(sig)}}}, nil
}

// Countersign adds the signer's signature to sg, once. A registry that
// mirrors an entry countersigns it, so that whoever trusts the mirror's key
// can check what the mirror serves.
func (s *Signer) Countersign(sg *Signed) {
	if slices.ContainsFunc(sg.Signatures, func(g Signature) bool { return g.Key == s.fp }) {
		return
	}
	sig := ed25519.Sign(s.key, message(sg.Entry))
	sg.Signatures = append(sg.Signatures, Signature{Key: s.fp, Sig: base64.RawURLEncoding.EncodeToString(sig)})
}

// VerifiedBy reports whether sg carries a valid signature by the key fp.
func (sg *Signed) VerifiedBy(fp string) bool {
	pub, err := ParseFingerprint(fp)
	if err != nil {
		return false
	}
	for _, g := range sg.Signatures {
		if g.Key != fp {
			continue
		}
		sig, err := base64.RawURLEncoding.DecodeString(g.Sig)
		if err == nil && len(sig) == ed25519.SignatureSize && ed25519.Verify(pub, message(sg.Entry), sig) {
			return true
		}
	}
	return false
}

// Open checks that sg is signed by trusted (the key of the registry it came
// from, as the reader pinned it) and by the entry's origin, and returns the
// entry, checked. Nothing in sg is believed before both signatures verify.
func Open(sg *Signed, trusted string) (*Entry, error) {
	if !sg.VerifiedBy(trusted) {
		return nil, fmt.Errorf("%w: no valid signature by %s", ErrSignature, trusted)
	}
	e, err := Decode(sg.Entry)
	if err != nil {
		return nil, err
	}
	if e.Origin.Key != trusted && !sg.VerifiedBy(e.Origin.Key) {
		return nil, fmt.Errorf("%w: no valid signature by the origin %s", ErrSignature, e.Origin.Key)
	}
	return e, nil
}

// Decode parses an entry's bytes and checks them. It does not verify
// signatures: use Open on anything received.
func Decode(data []byte) (*Entry, error) {
	if len(data) > MaxEntrySize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrFormat, MaxEntrySize)
	}
	var e Entry
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the entry", ErrFormat)
	}
	if err := e.Check(); err != nil {
		return nil, err
	}
	return &e, nil
}
