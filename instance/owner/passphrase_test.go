package owner

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestNormalizePassphrase(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        string
	}{
		{"ok", "correct horse", "correct horse", ""},
		{"exactly ten characters", "0123456789", "0123456789", ""},
		{"nine characters", "012345678", "", "9 characters, it needs at least 10"},
		{"characters not bytes", "ééééééééé", "", "9 characters"},
		{"decomposed becomes composed", "caf\u0065\u0301 au lait", "caf\u00e9 au lait", ""},
		{"max bytes", strings.Repeat("a", MaxPassphraseBytes), strings.Repeat("a", MaxPassphraseBytes), ""},
		{"too long", strings.Repeat("a", MaxPassphraseBytes+1), "", "1025 bytes long, at most 1024"},
		{"not UTF-8", "abcdefghij\xff", "", "not valid UTF-8"},
		{"spaces kept", "  leading and trailing  ", "  leading and trailing  ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizePassphrase(tt.in)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalidPassphrase) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NormalizePassphrase = %v, want ErrInvalidPassphrase saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("NormalizePassphrase = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(cheapParams(), 1)
	enc, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not PHC argon2id", enc)
	}
	other, _ := h.Hash(ctx, "correct horse")
	if other == enc {
		t.Fatal("two hashes of one passphrase are equal: no salt?")
	}
	stronger := cheapParams()
	stronger.Time = 2
	tests := []struct {
		name       string
		h          *Hasher
		pass       string
		ok, rehash bool
	}{
		{"right", h, "correct horse", true, false},
		{"wrong", h, "correct horsf", false, false},
		{"right, parameters changed", NewHasher(stronger, 1), "correct horse", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := tt.h.Verify(ctx, enc, tt.pass)
			if err != nil || ok != tt.ok || rehash != tt.rehash {
				t.Fatalf("Verify = %v, %v, %v; want %v, %v", ok, rehash, err, tt.ok, tt.rehash)
			}
		})
	}
}

// TestVerifyKnownVector checks compatibility with other argon2id implementations: the hashes
// were computed by the reference implementation's CLI (Debian package argon2).
func TestVerifyKnownVector(t *testing.T) {
	tests := []struct{ cmd, pass, enc string }{
		{
			"echo -n password | argon2 somesalt -id -t 2 -m 16 -p 1 -l 32 -e", "password",
			"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		},
		{
			"echo -n 'correct horse battery' | argon2 0123456789abcdef -id -t 2 -m 16 -p 2 -l 32 -e", "correct horse battery",
			"$argon2id$v=19$m=65536,t=2,p=2$MDEyMzQ1Njc4OWFiY2RlZg$yX+QDsOUB4gdUuVHzQbwKGtL0K5hZA3h2Rt/a9kwAB0",
		},
	}
	h := NewHasher(DefaultParams(), 1)
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			ok, rehash, err := h.Verify(context.Background(), tt.enc, tt.pass)
			if err != nil || !ok {
				t.Fatalf("Verify(reference vector) = %v, %v", ok, err)
			}
			if wantRehash := !strings.Contains(tt.enc, "p=2$"); rehash != wantRehash {
				t.Fatalf("rehash = %v, want %v", rehash, wantRehash)
			}
		})
	}
}

func TestDecodeHashRejects(t *testing.T) {
	tests := []struct{ name, enc string }{
		{"empty", ""},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GDPPc"},
		{"version", "$argon2id$v=16$m=64,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GDPPc"},
		{"params", "$argon2id$v=19$m=x,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GDPPc"},
		{"huge memory", "$argon2id$v=19$m=99999999,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GDPPc"},
		{"zero time", "$argon2id$v=19$m=64,t=0,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GDPPc"},
		{"bad salt", "$argon2id$v=19$m=64,t=1,p=1$!!$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GDPPc"},
		{"short key", "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$CTFh"},
		{"extra field", "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GDPPc$"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := NewHasher(cheapParams(), 1).Verify(context.Background(), tt.enc, "password"); !errors.Is(err, errBadHash) {
				t.Fatalf("Verify(%q) = %v, want errBadHash", tt.enc, err)
			}
		})
	}
}

func TestHasherHonoursContext(t *testing.T) {
	h := NewHasher(cheapParams(), 1)
	h.sem <- struct{}{} // every slot busy
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "correct horse"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash with all slots busy and a canceled context = %v", err)
	}
}
