package controller

import (
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// WebSockets go through the proxy, and an open one keeps the app from its idle stop.
func TestWebSocket(t *testing.T) {
	t.Parallel()
	const idle = 200 * time.Millisecond
	c := newController(t, Config{IdleTimeout: idle})
	app := probeApp(t, "ws.example")
	srv := serve(t, c, app)
	ctx := t.Context()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(1 << 20)
	for _, msg := range []string{"hello", strings.Repeat("a", 300), strings.Repeat("b", 70000)} {
		if err := conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		typ, b, err := conn.Read(ctx)
		if err != nil || typ != websocket.MessageText || string(b) != msg {
			t.Fatalf("echo of %d bytes: %v %d bytes, %v", len(msg), typ, len(b), err)
		}
	}
	if st := c.Status(app.Instance, app.Slug); st.Active != 1 || st.State != StateRunning {
		t.Fatalf("with a WebSocket open: %+v", st)
	}
	// Not synchronisation: the idle timer gets several chances to misfire, which it must not.
	time.Sleep(4 * idle)
	if st := c.Status(app.Instance, app.Slug); st.State != StateRunning {
		t.Fatalf("stopped with a WebSocket open: %+v", st)
	}
	if err := conn.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the idle stop after the WebSocket closed", func() bool {
		st := c.Status(app.Instance, app.Slug)
		return st.Active == 0 && st.State == StateStopped
	})
}
