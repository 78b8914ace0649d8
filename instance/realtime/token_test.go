package realtime

import (
	"errors"
	"net/http"
	"sync"
	"testing"
)

// endingAuth grants tokens whose end the test controls: ended closes the token's channel;
// released counts the connections that let go of their grant.
type endingAuth struct {
	end      chan struct{}
	mu       sync.Mutex
	released int // guarded by mu
}

func (a *endingAuth) authorize(_ *http.Request, token string) (Grant, error) {
	if token != "ending-token" {
		return Grant{}, errors.New("unknown token")
	}
	return Grant{Instance: "alice", CanRead: func(string) bool { return true }, Ended: a.end,
		Release: func() { a.mu.Lock(); a.released++; a.mu.Unlock() }}, nil
}

func (a *endingAuth) releases() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.released
}

// TestWebSocketTokenEnded closes connections with 4001 when their token ends, whichever way
// they authenticated, and releases their grants.
func TestWebSocketTokenEnded(t *testing.T) {
	t.Parallel()
	hub := NewLocalHub()
	t.Cleanup(func() { _ = hub.Close() })
	a := &endingAuth{end: make(chan struct{})}
	url := wsServer(t, Handler(hub, a.authorize, testLogger(t)))

	header := dial(t, url, "ending-token")
	header.subscribe("io.hearth.notes")
	message := dial(t, url, "")
	message.send(`{"method":"AUTH","payload":"ending-token"}`)
	message.subscribe("io.hearth.notes")
	if n := a.releases(); n != 0 {
		t.Fatalf("%d grants released while connected", n)
	}
	close(a.end)
	for _, c := range []*testClient{header, message} {
		if got := c.closed(); got != StatusTokenEnded {
			t.Errorf("closed with %v, want 4001", got)
		}
	}
	waitFor(t, "both grants released", func() bool { return a.releases() == 2 })
}
