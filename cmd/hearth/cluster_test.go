package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hearth-cloud/hearth/internal/testsvc"
)

// startNode runs `hearth serve` on the shared CouchDB and Redis, as one node of a hosting fleet.
func startNode(t *testing.T, bin string, env ...string) *process {
	t.Helper()
	p := &process{pub: freeAddr(t), adm: freeAddr(t), stderr: &bytes.Buffer{}}
	p.cmd = exec.Command(bin, "serve", "--addr", p.pub, "--admin-addr", p.adm, "--data-dir", t.TempDir(), "--log-level", "warn")
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequest("GET", "http://"+p.adm+"/health", nil)
		req.Header.Set("Authorization", "Bearer "+clusterSecret)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("node did not start: %s", p.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const clusterSecret = "cluster-test-secret-0123456789abcdef0123456789"

// TestTwoNodesShareAnInstance runs two runtime processes on one CouchDB-compatible server and
// one Redis: an instance added through one is served by both, and a write through either
// reaches a realtime subscriber on the other.
func TestTwoNodesShareAnInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the real binary")
	}
	bin := buildBinary(t)
	env := []string{
		"HEARTH_COUCHDB_URL=" + testsvc.PouchDBServer(t),
		"HEARTH_REDIS_URL=" + testsvc.Redis(t),
		"HEARTH_ADMIN_SECRET=" + clusterSecret,
	}
	one, two := startNode(t, bin, env...), startNode(t, bin, env...)
	domain := "shared.test"
	adminCall(t, one, clusterSecret, "/instances", map[string]string{"domain": domain}, nil)
	var tok struct{ Token string }
	adminCall(t, one, clusterSecret, "/instances/"+domain+"/tokens", map[string]any{"scopes": []string{"io.hearth.notes"}}, &tok)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, dir := range []struct {
		name          string
		write, listen *process
	}{{"one to two", one, two}, {"two to one", two, one}} {
		t.Run(dir.name, func(t *testing.T) {
			conn := wsSubscribe(t, ctx, dir.listen, domain, tok.Token, "io.hearth.notes")
			for i := range 10 {
				id := fmt.Sprintf("%s-%d", strings.ReplaceAll(dir.name, " ", "-"), i)
				req, _ := http.NewRequest("PUT", "http://"+dir.write.pub+"/data/io.hearth.notes/"+id, strings.NewReader(`{"i":1}`))
				req.Host = domain
				req.Header.Set("Authorization", "Bearer "+tok.Token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 201 {
					t.Fatalf("write: %d", resp.StatusCode)
				}
				var m struct {
					Event   string
					Payload struct{ ID string }
				}
				_, raw, err := conn.Read(ctx)
				if err != nil || json.Unmarshal(raw, &m) != nil {
					t.Fatalf("read event: %v %s", err, raw)
				}
				if m.Event != "CREATED" || m.Payload.ID != id {
					t.Fatalf("event %s, want CREATED of %s", raw, id)
				}
			}
		})
	}
}

func wsSubscribe(t *testing.T, ctx context.Context, p *process, domain, token, doctype string) *websocket.Conn {
	t.Helper()
	conn, _, err := websocket.Dial(ctx, "ws://"+p.pub+"/realtime", &websocket.DialOptions{
		Host:       domain,
		HTTPHeader: http.Header{"Authorization": {"Bearer " + token}},
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	msg, _ := json.Marshal(map[string]any{"method": "SUBSCRIBE", "payload": map[string]string{"type": doctype}})
	if err := conn.Write(ctx, websocket.MessageText, msg); err != nil {
		t.Fatal(err)
	}
	if _, raw, err := conn.Read(ctx); err != nil || !strings.Contains(string(raw), "SUBSCRIBED") {
		t.Fatalf("subscribe: %v %s", err, raw)
	}
	return conn
}
