package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"gorm.io/gorm"
)

// Publisher is an account that submits apps.
type Publisher struct {
	ID    int64
	Email string
	Name  string
	Proof string // the content of .hearth-proof that proves a repository is theirs
}

// Prefixes of the secrets the store makes.
const (
	TokenPrefix = "hrt_"
	ProofPrefix = "hearth-proof-"
)

// Limits on a publisher's fields.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
	MaxNameLen     = 64
)

// argon2id parameters (OWASP's second recommendation: 19 MiB, 2 passes).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// CreatePublisher adds a publisher and returns it with a first API token.
// An email already registered is ErrExists.
func (s *Store) CreatePublisher(ctx context.Context, email, password, name string) (*Publisher, string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	name = strings.TrimSpace(name)
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		return nil, "", fmt.Errorf("%w: email: not an address", ErrInput)
	}
	if n := utf8.RuneCountInString(password); n < MinPasswordLen || n > MaxPasswordLen {
		return nil, "", fmt.Errorf("%w: password: want %d to %d characters", ErrInput, MinPasswordLen, MaxPasswordLen)
	}
	if n := utf8.RuneCountInString(name); n == 0 || n > MaxNameLen || !utf8.ValidString(name) {
		return nil, "", fmt.Errorf("%w: name: want 1 to %d characters", ErrInput, MaxNameLen)
	}
	row := publisherRow{Email: email, Name: name, PasswordHash: hashPassword(password),
		Proof: ProofPrefix + randomText(24), CreatedAt: stamp(s.now())}
	var token string
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return dbErr("publisher "+email, err)
		}
		var err error
		token, err = createToken(tx, row.ID, "first", s)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return row.publisher(), token, nil
}

// Login returns the publisher with this email and password, or ErrLogin.
func (s *Store) Login(ctx context.Context, email, password string) (*Publisher, error) {
	var row publisherRow
	err := s.db.WithContext(ctx).Where("email = ?", strings.ToLower(strings.TrimSpace(email))).First(&row).Error
	if err != nil {
		if err = dbErr("publisher", err); isNotFound(err) {
			hashPassword(password) // the same time as a wrong password
			return nil, ErrLogin
		}
		return nil, err
	}
	if !checkPassword(row.PasswordHash, password) {
		return nil, ErrLogin
	}
	return row.publisher(), nil
}

// CreateToken makes a new API token for the publisher.
func (s *Store) CreateToken(ctx context.Context, publisherID int64, name string) (string, error) {
	if n := utf8.RuneCountInString(name); n > MaxNameLen || !utf8.ValidString(name) {
		return "", fmt.Errorf("%w: token name: at most %d characters", ErrInput, MaxNameLen)
	}
	return createToken(s.db.WithContext(ctx), publisherID, name, s)
}

func createToken(tx *gorm.DB, publisherID int64, name string, s *Store) (string, error) {
	token := TokenPrefix + randomText(32)
	row := tokenRow{PublisherID: publisherID, Name: name, Hash: tokenHash(token), CreatedAt: stamp(s.now())}
	if err := tx.Create(&row).Error; err != nil {
		return "", dbErr("token", err)
	}
	return token, nil
}

// PublisherByToken returns the publisher an API token belongs to, or ErrNotFound.
func (s *Store) PublisherByToken(ctx context.Context, token string) (*Publisher, error) {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) > 100 {
		return nil, fmt.Errorf("%w: token", ErrNotFound)
	}
	var row publisherRow
	err := s.db.WithContext(ctx).Where("id = (SELECT publisher_id FROM tokens WHERE hash = ?)", tokenHash(token)).First(&row).Error
	if err != nil {
		return nil, dbErr("token", err)
	}
	return row.publisher(), nil
}

// PublisherByID returns one publisher.
func (s *Store) PublisherByID(ctx context.Context, id int64) (*Publisher, error) {
	var row publisherRow
	if err := s.db.WithContext(ctx).First(&row, id).Error; err != nil {
		return nil, dbErr("publisher", err)
	}
	return row.publisher(), nil
}

func (r *publisherRow) publisher() *Publisher {
	return &Publisher{ID: r.ID, Email: r.Email, Name: r.Name, Proof: r.Proof}
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// randomText is n random bytes in unpadded base64url.
func randomText(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashPassword(password string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func checkPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
