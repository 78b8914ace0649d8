package gitsource

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

func TestCheckURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		url    string
		policy Policy
		want   error
	}{
		{"file", "file:///etc/passwd", Policy{}, ErrScheme},
		{"file even when private allowed", "file:///srv/repo.git", Policy{AllowPrivate: true}, ErrScheme},
		{"ssh", "ssh://git@example.com/app.git", Policy{}, ErrScheme},
		{"scp-like", "git@example.com:owner/app.git", Policy{}, ErrScheme},
		{"local path", "/srv/repo.git", Policy{}, ErrScheme},
		{"git protocol", "git://example.com/app.git", Policy{AllowPrivate: true}, ErrScheme},
		{"ext transport", "ext::sh%20-c%20id", Policy{}, ErrScheme},
		{"credentials", "https://user:secret@example.com/app.git", Policy{AllowPrivate: true}, ErrCredentials},
		{"user only", "https://token@example.com/app.git", Policy{AllowPrivate: true}, ErrCredentials},
		{"no host", "https:///app.git", Policy{}, ErrURL},
		{"bad port", "https://example.com:99999/app.git", Policy{AllowPrivate: true}, ErrURL},
		{"control character", "https://example.com/a\npp.git", Policy{}, ErrURL},
		{"query", "https://example.com/app.git?x=1", Policy{AllowPrivate: true}, ErrURL},
		{"loopback", "http://127.0.0.1:8080/app.git", Policy{}, ErrAddress},
		{"loopback v6", "http://[::1]/app.git", Policy{}, ErrAddress},
		{"mapped loopback", "http://[::ffff:127.0.0.1]/app.git", Policy{}, ErrAddress},
		{"localhost", "http://localhost/app.git", Policy{}, ErrAddress},
		{"metadata", "http://169.254.169.254/latest/meta-data", Policy{}, ErrAddress},
		{"private", "https://10.1.2.3/app.git", Policy{}, ErrAddress},
		{"private 192.168", "https://192.168.1.1/app.git", Policy{}, ErrAddress},
		{"unique local v6", "https://[fd00::1]/app.git", Policy{}, ErrAddress},
		{"link-local v6", "https://[fe80::1]/app.git", Policy{}, ErrAddress},
		{"cgnat", "https://100.64.1.1/app.git", Policy{}, ErrAddress},
		{"unspecified", "https://0.0.0.0/app.git", Policy{}, ErrAddress},
		{"multicast", "https://224.0.0.1/app.git", Policy{}, ErrAddress},
		{"nat64 of private", "https://[64:ff9b::a00:1]/app.git", Policy{}, ErrAddress},
		{"http when https only", "http://8.8.8.8/app.git", Policy{HTTPSOnly: true}, ErrScheme},
		{"https only", "https://8.8.8.8/app.git", Policy{HTTPSOnly: true}, nil},
		{"loopback allowed", "http://127.0.0.1:8080/app.git", Policy{AllowPrivate: true}, nil},
		{"public address", "https://8.8.8.8/app.git", Policy{}, nil},
		{"host not allowed", "https://8.8.8.8/app.git", Policy{AllowedHosts: []string{"git.example.com"}}, ErrHost},
		{"allowed host", "http://git.example.com/app.git", Policy{AllowedHosts: []string{"*.example.com"}, AllowPrivate: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckURL(context.Background(), tt.url, tt.policy)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("CheckURL(%q) = %v, want %v", tt.url, err, tt.want)
			}
			if err != nil {
				t.Logf("%v", err)
			}
		})
	}
}

func TestForbiddenAddr(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{ // address → forbidden
		"127.0.0.1": true, "10.0.0.1": true, "172.16.0.1": true, "192.168.0.1": true,
		"169.254.169.254": true, "100.64.0.1": true, "0.0.0.0": true, "255.255.255.255": true,
		"::1": true, "::": true, "fc00::1": true, "fe80::1": true, "ff02::1": true,
		"::ffff:10.0.0.1": true, "2002:7f00:1::": true, "198.18.0.1": true,
		"8.8.8.8": false, "140.82.112.3": false, "2606:4700::1111": false, "2002:808:808::": false,
	}
	for addr, want := range tests {
		t.Run(addr, func(t *testing.T) {
			t.Parallel()
			why := forbiddenAddr(netip.MustParseAddr(addr))
			if (why != "") != want {
				t.Fatalf("forbiddenAddr(%s) = %q, want forbidden=%v", addr, why, want)
			}
		})
	}
}

func TestCheckDialAddress(t *testing.T) {
	t.Parallel()
	if err := checkDialAddress("127.0.0.1:80", Policy{}); !errors.Is(err, ErrAddress) {
		t.Errorf("dial 127.0.0.1: %v, want ErrAddress", err)
	}
	if err := checkDialAddress("[fe80::1%eth0]:443", Policy{}); !errors.Is(err, ErrAddress) {
		t.Errorf("dial fe80::1: %v, want ErrAddress", err)
	}
	if err := checkDialAddress("8.8.8.8:443", Policy{}); err != nil {
		t.Errorf("dial 8.8.8.8: %v", err)
	}
}
