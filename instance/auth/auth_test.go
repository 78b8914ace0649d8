package auth

import (
	"errors"
	"testing"
	"time"
)

func TestParseScope(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"io.hearth.notes", "io.hearth.notes", false},
		{"io.hearth.notes:get,post", "io.hearth.notes:GET,POST", false},
		{"io.hearth.notes:GET,POST,PUT,DELETE", "io.hearth.notes", false},
		{"notes", "", true},
		{"Io.hearth.notes", "", true},
		{"io.hearth.notes:PATCH", "", true},
		{"io..notes", "", true},
		{"io.hearth_notes.x", "", true},
		{"../etc", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			sc, err := ParseScope(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrBadScope) {
					t.Fatalf("ParseScope(%q) error = %v, want ErrBadScope", tt.in, err)
				}
				return
			}
			if err != nil || sc.String() != tt.want {
				t.Fatalf("ParseScope(%q) = %q, %v; want %q", tt.in, sc.String(), err, tt.want)
			}
		})
	}
}

func TestTokenRoundTrip(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	tok, err := Issue(secret, Claims{Instance: "i1", Scopes: []string{"io.hearth.notes:GET"}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	_, perms, err := Verify(secret, "i1", tok, now)
	if err != nil {
		t.Fatal(err)
	}
	if !perms.Allows("io.hearth.notes", "GET") || !perms.Allows("io.hearth.notes", "HEAD") {
		t.Error("GET not granted")
	}
	if perms.Allows("io.hearth.notes", "PUT") || perms.Allows("io.hearth.todos", "GET") {
		t.Error("more granted than asked")
	}
	if _, _, err := Verify(secret, "i2", tok, now); !errors.Is(err, ErrBadToken) {
		t.Errorf("token accepted on another instance: %v", err)
	}
	if _, _, err := Verify([]byte("another secret of enough length"), "i1", tok, now); !errors.Is(err, ErrBadToken) {
		t.Errorf("token accepted with another secret: %v", err)
	}
	if _, _, err := Verify(secret, "i1", tok[:len(tok)-2]+"AA", now); !errors.Is(err, ErrBadToken) {
		t.Errorf("tampered token accepted: %v", err)
	}
	exp, _ := Issue(secret, Claims{Instance: "i1", Scopes: []string{"io.hearth.notes"}, Expires: now.Unix() - 1})
	if _, _, err := Verify(secret, "i1", exp, now); !errors.Is(err, ErrBadToken) {
		t.Errorf("expired token accepted: %v", err)
	}
	for _, bad := range []string{"", ".", "abc", "a.b.c", "!!!.sig"} {
		if _, _, err := Verify(secret, "i1", bad, now); !errors.Is(err, ErrBadToken) {
			t.Errorf("Verify(%q) = %v", bad, err)
		}
	}
}

func TestVerifyCache(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	now := time.Now()
	var c VerifyCache
	tok, _ := Issue(secret, Claims{Instance: "i1", Scopes: []string{"io.hearth.notes"}, Expires: now.Unix() + 60})
	for range 2 { // verified, then remembered
		if _, perms, err := c.Verify(secret, "i1", tok, now); err != nil || !perms.Allows("io.hearth.notes", "PUT") {
			t.Fatalf("Verify = %v, %v", perms, err)
		}
	}
	if _, _, err := c.Verify(secret, "i2", tok, now); !errors.Is(err, ErrBadToken) {
		t.Errorf("remembered token accepted on another instance: %v", err)
	}
	if _, _, err := c.Verify(secret, "i1", tok, now.Add(2*time.Minute)); !errors.Is(err, ErrBadToken) {
		t.Errorf("remembered token accepted after expiry: %v", err)
	}
	if _, _, err := c.Verify(secret, "i1", tok+"x", now); !errors.Is(err, ErrBadToken) {
		t.Errorf("altered token accepted: %v", err)
	}
}
