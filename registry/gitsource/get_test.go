package gitsource

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestGet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte("content"))
		case "/big":
			w.Write([]byte(strings.Repeat("x", 2048)))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	open := Policy{AllowPrivate: true, MaxFetchBytes: 1024}
	if b, err := Get(ctx, srv.URL+"/ok", open); err != nil || string(b) != "content" {
		t.Fatalf("Get: %q %v", b, err)
	}
	tests := []struct {
		url    string
		policy Policy
		want   error
	}{
		{srv.URL + "/ok", Policy{}, ErrAddress}, // loopback, not allowed
		{"file:///etc/passwd", open, ErrScheme}, // not http(s)
		{"http://user:pw@example.org/", open, ErrCredentials},
		{srv.URL + "/big", open, ErrTooLarge},
		{srv.URL + "/missing", open, ErrUnreachable},
	}
	for _, tt := range tests {
		if _, err := Get(ctx, tt.url, tt.policy); !errors.Is(err, tt.want) {
			t.Errorf("Get(%s): %v, want %v", tt.url, err, tt.want)
		}
	}
}

func TestGetterBoundsOneDocument(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("y", 100)))
	}))
	t.Cleanup(srv.Close)
	g := NewGetter(Policy{AllowPrivate: true, MaxFetchBytes: 1024})
	defer g.Close()
	if b, err := g.Get(context.Background(), srv.URL, 100); err != nil || len(b) != 100 {
		t.Fatalf("Get within its bound: %d bytes, %v", len(b), err)
	}
	if _, err := g.Get(context.Background(), srv.URL, 99); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Get over its own bound: %v", err)
	}
	if _, err := g.Get(context.Background(), srv.URL, 1<<30); err != nil {
		t.Errorf("a bound above the policy's keeps the policy's: %v", err)
	}
}
