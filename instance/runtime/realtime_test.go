package runtime_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hearth-cloud/hearth/instance/runtime"
	"github.com/hearth-cloud/hearth/internal/testsvc"
)

type wsMessage struct {
	Event   string         `json:"event"`
	Payload map[string]any `json:"payload"`
}

// subscribe opens /realtime on host with token and subscribes to doctype.
func (h *harness) subscribe(t *testing.T, ctx context.Context, host, token, doctype string) *websocket.Conn {
	t.Helper()
	conn, resp, err := websocket.Dial(ctx, "ws://"+host+"/realtime", &websocket.DialOptions{
		HTTPClient: h.client,
		HTTPHeader: http.Header{"Authorization": {"Bearer " + token}},
	})
	if err != nil {
		t.Fatalf("dial realtime: %v (%v)", err, resp)
	}
	t.Cleanup(func() { conn.CloseNow() })
	send(t, ctx, conn, map[string]any{"method": "SUBSCRIBE", "payload": map[string]string{"type": doctype}})
	if m := receive(t, ctx, conn); m.Event != "SUBSCRIBED" {
		t.Fatalf("subscribe answered %+v", m)
	}
	return conn
}

func send(t *testing.T, ctx context.Context, conn *websocket.Conn, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func receive(t *testing.T, ctx context.Context, conn *websocket.Conn) wsMessage {
	t.Helper()
	_, b, err := conn.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m wsMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("bad message %s: %v", b, err)
	}
	return m
}

func TestRealtimeEvents(t *testing.T) {
	h := start(t, runtime.Config{})
	h.addInstance(t, "live.test")
	h.addInstance(t, "other.test")
	tok := h.token(t, "live.test", "io.hearth.notes")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn := h.subscribe(t, ctx, "live.test", tok, "io.hearth.notes")

	t.Run("forbidden doctype", func(t *testing.T) {
		send(t, ctx, conn, map[string]any{"method": "SUBSCRIBE", "payload": map[string]string{"type": "io.hearth.todos"}})
		if m := receive(t, ctx, conn); m.Event != "error" || m.Payload["status"] != "403" {
			t.Errorf("subscribe to a doctype not granted: %+v", m)
		}
		send(t, ctx, conn, map[string]any{"method": "DANCE"})
		if m := receive(t, ctx, conn); m.Event != "error" || m.Payload["status"] != "400" {
			t.Errorf("malformed message: %+v", m)
		}
	})

	// Another instance's writes never show up here.
	otherTok := h.token(t, "other.test", "io.hearth.notes")
	if st, _ := h.do(t, "PUT", "http://other.test/data/io.hearth.notes/x", otherTok, map[string]any{"v": 0}); st != 201 {
		t.Fatalf("write on other: %d", st)
	}
	base := "http://live.test/data/io.hearth.notes/"
	_, created := h.do(t, "PUT", base+"n1", tok, map[string]any{"v": 1})
	_, updated := h.do(t, "PUT", base+"n1", tok, map[string]any{"v": 2, "_rev": created["rev"]})
	h.do(t, "DELETE", base+"n1?rev="+updated["rev"].(string), tok, nil)
	want := []struct{ event, rev string }{
		{"CREATED", created["rev"].(string)}, {"UPDATED", updated["rev"].(string)}, {"DELETED", ""},
	}
	for i, w := range want {
		m := receive(t, ctx, conn)
		if m.Event != w.event || m.Payload["id"] != "n1" || m.Payload["type"] != "io.hearth.notes" {
			t.Fatalf("event %d = %+v, want %s of n1", i, m, w.event)
		}
		if w.rev != "" && m.Payload["rev"] != w.rev {
			t.Errorf("event %d rev = %v, want %s", i, m.Payload["rev"], w.rev)
		}
	}

	t.Run("auth by message", func(t *testing.T) {
		c, _, err := websocket.Dial(ctx, "ws://live.test/realtime", &websocket.DialOptions{HTTPClient: h.client})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		send(t, ctx, c, map[string]any{"method": "AUTH", "payload": tok})
		send(t, ctx, c, map[string]any{"method": "SUBSCRIBE", "payload": map[string]string{"type": "io.hearth.notes"}})
		if m := receive(t, ctx, c); m.Event != "SUBSCRIBED" {
			t.Errorf("after AUTH: %+v", m)
		}
	})
	t.Run("bad token", func(t *testing.T) {
		_, resp, err := websocket.Dial(ctx, "ws://live.test/realtime", &websocket.DialOptions{
			HTTPClient: h.client, HTTPHeader: http.Header{"Authorization": {"Bearer " + otherTok}},
		})
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("token of another instance: err %v, resp %v", err, resp)
		}
		c, _, err := websocket.Dial(ctx, "ws://live.test/realtime", &websocket.DialOptions{HTTPClient: h.client})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		send(t, ctx, c, map[string]any{"method": "AUTH", "payload": "forged"})
		if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
			t.Errorf("forged AUTH: %v", err)
		}
	})
}

// Two runtimes on one CouchDB share instances; Redis carries a write on one to a subscriber on
// the other.
func TestRealtimeAcrossRuntimesThroughRedis(t *testing.T) {
	cfg := runtime.Config{CouchDBURL: testsvc.PouchDBServer(t), RedisURL: testsvc.Redis(t), AdminSecret: "0123456789abcdef0123456789abcdef-shared"}
	one := start(t, cfg)
	two := start(t, cfg)
	one.addInstance(t, "shared.test")
	tok := one.token(t, "shared.test", "io.hearth.notes")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn := two.subscribe(t, ctx, "shared.test", tok, "io.hearth.notes")
	for i := range 20 {
		id := "doc" + string(rune('a'+i))
		if st, body := one.do(t, "PUT", "http://shared.test/data/io.hearth.notes/"+id, tok, map[string]any{"i": i}); st != 201 {
			t.Fatalf("write through runtime one: %d %v", st, body)
		}
		m := receive(t, ctx, conn)
		if m.Event != "CREATED" || m.Payload["id"] != id {
			t.Fatalf("runtime two got %+v, want CREATED of %s", m, id)
		}
	}
	// And the document is there through runtime two.
	if st, _ := two.do(t, "GET", "http://shared.test/data/io.hearth.notes/doca", tok, nil); st != 200 {
		t.Errorf("read through runtime two: %d", st)
	}
}

// Replicated revisions (_bulk_docs with new_edits=false, as PouchDB pushes) are announced too,
// on both backends, whatever the backend answers for them.
func TestRealtimeReplicatedWrites(t *testing.T) {
	backends(t, func(t *testing.T, cfg runtime.Config) {
		h := start(t, cfg)
		h.addInstance(t, "repl.test")
		tok := h.token(t, "repl.test", "io.hearth.notes")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		conn := h.subscribe(t, ctx, "repl.test", tok, "io.hearth.notes")
		docs := []any{
			map[string]any{"_id": "r1", "_rev": "1-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "n": 1},
			map[string]any{"_id": "r2", "_rev": "1-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "n": 2},
		}
		if st, body := h.do(t, "POST", "http://repl.test/data/io.hearth.notes/_bulk_docs", tok,
			map[string]any{"docs": docs, "new_edits": false}); st != 201 {
			t.Fatalf("_bulk_docs: %d %v", st, body)
		}
		for _, want := range []string{"r1", "r2"} {
			if m := receive(t, ctx, conn); m.Event != "CREATED" || m.Payload["id"] != want {
				t.Fatalf("event %+v, want CREATED of %s", m, want)
			}
		}
	})
}
