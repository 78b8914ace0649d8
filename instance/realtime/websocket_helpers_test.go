package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// testAuth knows two tokens: "alice-token" reads everything but io.hearth.secret of instance
// alice, "bob-token" reads everything of instance bob.
func testAuth(_ *http.Request, token string) (Grant, error) {
	switch token {
	case "alice-token":
		return Grant{Instance: "alice", CanRead: func(d string) bool { return d != "io.hearth.secret" }}, nil
	case "bob-token":
		return Grant{Instance: "bob", CanRead: func(string) bool { return true }}, nil
	}
	return Grant{}, errors.New("unknown token")
}

// wsServer serves h over HTTP for the test and returns its ws:// URL.
func wsServer(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/realtime"
}

// testClient is a WebSocket client of the test.
type testClient struct {
	t    testing.TB
	conn *websocket.Conn
}

// dial connects, with token in the Authorization header unless it is empty.
func dial(t testing.TB, url, token string) *testClient {
	t.Helper()
	opts := &websocket.DialOptions{HTTPHeader: http.Header{}}
	if token != "" {
		opts.HTTPHeader.Set("Authorization", "Bearer "+token)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, url, opts)
	if err != nil {
		t.Fatalf("dial: %v (response %v)", err, resp)
	}
	t.Cleanup(func() { _ = conn.CloseNow() })
	return &testClient{t: t, conn: conn}
}

// send writes a raw text message.
func (c *testClient) send(msg string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		c.t.Fatal(err)
	}
}

// received is a server message, payload left to decode.
type received struct {
	Event   string          `json:"event"`
	Payload json.RawMessage `json:"payload"`
}

// next reads one message.
func (c *testClient) next() received {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, data, err := c.conn.Read(ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var m received
	if err := json.Unmarshal(data, &m); err != nil {
		c.t.Fatalf("server sent %s: %v", data, err)
	}
	return m
}

// expect reads one message and checks its event and payload (JSON, compared as values).
func (c *testClient) expect(event, payload string) {
	c.t.Helper()
	m := c.next()
	if m.Event != event || !sameJSON(c.t, m.Payload, payload) {
		c.t.Fatalf("got %s %s, want %s %s", m.Event, m.Payload, event, payload)
	}
}

// subscribe subscribes to doctype and waits for the acknowledgement.
func (c *testClient) subscribe(doctype string) {
	c.t.Helper()
	c.send(`{"method":"SUBSCRIBE","payload":{"type":"` + doctype + `"}}`)
	c.expect("SUBSCRIBED", `{"type":"`+doctype+`"}`)
}

// closed waits for the server to close the connection and returns the status.
func (c *testClient) closed() websocket.StatusCode {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, data, err := c.conn.Read(ctx)
		if err != nil {
			return websocket.CloseStatus(err)
		}
		c.t.Logf("before close: %s", data)
	}
}

func sameJSON(t testing.TB, got json.RawMessage, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		return false
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expected JSON %s: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return string(gb) == string(wb)
}
