package tenants

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeDomain(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"alice.example.org", "alice.example.org", true},
		{"Alice.Example.ORG.", "alice.example.org", true},
		{"hearth.localhost:8080", "hearth.localhost:8080", true},
		{"127.0.0.1:8080", "127.0.0.1:8080", true},
		{"", "", false},
		{"alice example", "", false},
		{"alice/../bob", "", false},
		{"-alice.org", "", false},
		{"alice.org:port", "", false},
		{"alice.org:123456", "", false},
		{strings.Repeat("a", 64) + ".org", "", false},
		{"al\x00ice.org", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizeDomain(tt.in)
			if tt.ok != (err == nil) || got != tt.want {
				t.Fatalf("NormalizeDomain(%q) = %q, %v", tt.in, got, err)
			}
			if err != nil && !errors.Is(err, ErrBadDomain) {
				t.Errorf("error %v is not ErrBadDomain", err)
			}
		})
	}
}
