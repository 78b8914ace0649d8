package realtime

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func newHandler(t testing.TB, hub Hub) *handler {
	return Handler(hub, testAuth, testLogger(t)).(*handler)
}

// TestWebSocketEvents delivers events from a hub to a client, on every backend.
func TestWebSocketEvents(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			pub, sub := b.open(t)
			c := dial(t, wsServer(t, newHandler(t, sub)), "alice-token")
			c.subscribe("io.hearth.notes")

			events := []Event{
				{Doctype: "io.hearth.notes", ID: "n1", Rev: "1-a", Verb: VerbCreated, Doc: []byte(`{"_id":"n1","_rev":"1-a","title":"hi"}`)},
				{Doctype: "io.hearth.files", ID: "f1", Rev: "1-b", Verb: VerbCreated}, // not subscribed
				{Doctype: "io.hearth.notes", ID: "n1", Rev: "2-c", Verb: VerbUpdated, Doc: []byte(`{"_id":"n1","_rev":"2-c"}`)},
				{Doctype: "io.hearth.notes", ID: "n1", Rev: "3-d", Verb: VerbDeleted, Doc: []byte(`{"_id":"n1","_rev":"3-d","_deleted":true}`)},
			}
			publish(t, pub, "bob", events[0]) // another instance
			for _, ev := range events {
				publish(t, pub, "alice", ev)
			}
			c.expect("CREATED", `{"type":"io.hearth.notes","id":"n1","rev":"1-a","doc":{"_id":"n1","_rev":"1-a","title":"hi"}}`)
			c.expect("UPDATED", `{"type":"io.hearth.notes","id":"n1","rev":"2-c","doc":{"_id":"n1","_rev":"2-c"}}`)
			c.expect("DELETED", `{"type":"io.hearth.notes","id":"n1","rev":"3-d","doc":{"_id":"n1","_rev":"3-d","_deleted":true}}`)

			c.send(`{"method":"UNSUBSCRIBE","payload":{"type":"io.hearth.notes"}}`)
			c.subscribe("io.hearth.files") // its ack proves the UNSUBSCRIBE was handled
			publish(t, pub, "alice", events[0])
			publish(t, pub, "alice", events[1])
			c.expect("CREATED", `{"type":"io.hearth.files","id":"f1","rev":"1-b"}`)
		})
	}
}

// TestWebSocketAuth covers both ways to authenticate and the refusals.
func TestWebSocketAuth(t *testing.T) {
	t.Parallel()
	hub := NewLocalHub()
	t.Cleanup(func() { _ = hub.Close() })
	h := newHandler(t, hub)
	h.authTimeout = 200 * time.Millisecond
	url := wsServer(t, h)

	t.Run("header", func(t *testing.T) {
		t.Parallel()
		c := dial(t, url, "alice-token")
		c.subscribe("io.hearth.notes")
	})
	t.Run("message", func(t *testing.T) {
		t.Parallel()
		c := dial(t, url, "")
		c.send(`{"method":"AUTH","payload":"alice-token"}`)
		c.subscribe("io.hearth.notes")
	})
	for _, header := range []string{"Bearer nope", "Basic YWxpY2U6eA==", "Bearer ", "alice-token"} {
		t.Run("bad header "+header, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {header}}})
			if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("dial: %v, response %v; want 401", err, resp)
			}
		})
	}
	for _, tt := range []struct{ name, first string }{
		{"unknown token", `{"method":"AUTH","payload":"nope"}`},
		{"empty token", `{"method":"AUTH","payload":""}`},
		{"token not a string", `{"method":"AUTH","payload":{"token":"alice-token"}}`},
		{"subscribe first", `{"method":"SUBSCRIBE","payload":{"type":"io.hearth.notes"}}`},
		{"not JSON", `alice-token`},
		{"nothing in time", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, url, "")
			if tt.first != "" {
				c.send(tt.first)
			}
			if got := c.closed(); got != websocket.StatusPolicyViolation {
				t.Fatalf("closed with %v, want 1008", got)
			}
		})
	}
}

// TestWebSocketBadRequests checks the error answers; the connection stays usable after each.
func TestWebSocketBadRequests(t *testing.T) {
	t.Parallel()
	hub := NewLocalHub()
	t.Cleanup(func() { _ = hub.Close() })
	c := dial(t, wsServer(t, newHandler(t, hub)), "alice-token")
	for _, tt := range []struct{ name, send, status, typ string }{
		{"forbidden doctype", `{"method":"SUBSCRIBE","payload":{"type":"io.hearth.secret"}}`, "403", "io.hearth.secret"},
		{"not JSON", `{"method":`, "400", ""},
		{"unknown method", `{"method":"PUBLISH","payload":{"type":"io.hearth.notes"}}`, "400", ""},
		{"no type", `{"method":"SUBSCRIBE","payload":{}}`, "400", ""},
		{"payload not an object", `{"method":"SUBSCRIBE","payload":"io.hearth.notes"}`, "400", ""},
		{"doctype too long", `{"method":"SUBSCRIBE","payload":{"type":"` + strings.Repeat("a", 300) + `"}}`, "400", ""},
		{"second AUTH", `{"method":"AUTH","payload":"bob-token"}`, "400", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c.send(tt.send)
			m := c.next()
			var p errorPayload
			if m.Event != "error" || !decode(m.Payload, &p) || p.Status != tt.status || p.Type != tt.typ || p.Title == "" || p.Detail == "" {
				t.Fatalf("got %s %s, want an error %s", m.Event, m.Payload, tt.status)
			}
		})
	}
	t.Run("binary message", func(t *testing.T) {
		if err := c.conn.Write(context.Background(), websocket.MessageBinary, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		if m := c.next(); m.Event != "error" {
			t.Fatalf("got %s %s, want an error", m.Event, m.Payload)
		}
	})
	// Nothing of the forbidden doctype was subscribed; the connection still works.
	c.subscribe("io.hearth.notes")
	publish(t, hub, "alice", note("io.hearth.secret", 1))
	publish(t, hub, "alice", note("io.hearth.notes", 2))
	if m := c.next(); !strings.Contains(string(m.Payload), `"doc2"`) {
		t.Fatalf("got %s %s, want doc2", m.Event, m.Payload)
	}
}

// TestWebSocketClosing covers the ways the server ends a connection.
func TestWebSocketClosing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		act   func(t *testing.T, hub *LocalHub, c *testClient)
		event string // the error title sent before closing, if any
		want  websocket.StatusCode
	}{
		{"overflow", func(_ *testing.T, hub *LocalHub, _ *testClient) { hub.endAll(ErrOverflow) }, "overflow", websocket.StatusTryAgainLater},
		{"interrupted", func(_ *testing.T, hub *LocalHub, _ *testClient) { hub.endAll(ErrInterrupted) }, "interrupted", websocket.StatusTryAgainLater},
		{"hub closed", func(_ *testing.T, hub *LocalHub, _ *testClient) { _ = hub.Close() }, "", websocket.StatusGoingAway},
		{"message too big", func(_ *testing.T, _ *LocalHub, c *testClient) {
			c.send(`{"method":"SUBSCRIBE","payload":{"type":"` + strings.Repeat("a", MaxMessageSize) + `"}}`)
		}, "", websocket.StatusMessageTooBig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hub := NewLocalHub()
			t.Cleanup(func() { _ = hub.Close() })
			c := dial(t, wsServer(t, newHandler(t, hub)), "alice-token")
			c.subscribe("io.hearth.notes")
			tt.act(t, hub, c)
			if tt.event != "" {
				m := c.next()
				var p errorPayload
				if m.Event != "error" || !decode(m.Payload, &p) || p.Title != tt.event || p.Status != "503" {
					t.Fatalf("got %s %s, want error %s", m.Event, m.Payload, tt.event)
				}
			}
			if got := c.closed(); got != tt.want {
				t.Fatalf("closed with %v, want %v", got, tt.want)
			}
		})
	}
}

// TestWebSocketKeepalive checks that a client that does not answer pings is disconnected.
func TestWebSocketKeepalive(t *testing.T) {
	t.Parallel()
	hub := NewLocalHub()
	t.Cleanup(func() { _ = hub.Close() })
	h := newHandler(t, hub)
	h.pingInterval, h.writeTimeout = 20*time.Millisecond, 200*time.Millisecond
	c := dial(t, wsServer(t, h), "alice-token")
	c.subscribe("io.hearth.notes")
	// The client reads nothing now, so it answers no ping: the server must give up on it.
	waitFor(t, "the server to drop the silent client", func() bool { return hub.instances() == 0 })
	if _, _, err := c.conn.Read(context.Background()); err == nil {
		t.Fatal("connection still open")
	}
}

func decode(raw []byte, v any) bool {
	return json.Unmarshal(raw, v) == nil
}

// TestWebSocketShutdown checks that canceling the requests' context closes with 1001.
func TestWebSocketShutdown(t *testing.T) {
	t.Parallel()
	hub := NewLocalHub()
	t.Cleanup(func() { _ = hub.Close() })
	base, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := httptest.NewUnstartedServer(newHandler(t, hub))
	srv.Config.BaseContext = func(net.Listener) context.Context { return base }
	srv.Start()
	t.Cleanup(srv.Close)
	c := dial(t, "ws"+strings.TrimPrefix(srv.URL, "http"), "alice-token")
	c.subscribe("io.hearth.notes")
	cancel()
	if got := c.closed(); got != websocket.StatusGoingAway {
		t.Fatalf("closed with %v, want 1001", got)
	}
}
