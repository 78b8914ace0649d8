package proxy

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/hearth-cloud/hearth/internal/testsvc"
)

func TestClientScriptHandler(t *testing.T) {
	t.Parallel()
	h := ClientScript()
	res := do(t, h, "GET", "/hearth.js", false)
	b := body(t, res)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(b, "hearth.realtime") {
		t.Fatalf("GET /hearth.js: %d %v", res.StatusCode, res.Header)
	}
	if again := do(t, h, "GET", "/hearth.js", false, "If-None-Match", res.Header.Get("ETag")); again.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", again.StatusCode)
	}
	if post := do(t, h, "POST", "/hearth.js", false); post.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", post.StatusCode)
	}
}

// fakeInstance answers like the instance hearth.js talks to: the Data System for io.hearth.notes,
// accepting only the token "fresh"; the token endpoint, giving "fresh"; and /realtime.
func fakeInstance(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	authorized := func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("Authorization") != "Bearer fresh" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"unauthorized","reason":"bad token"}`))
			return false
		}
		return true
	}
	reply := func(w http.ResponseWriter, code int, v string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		w.Write([]byte(v))
	}
	mux.HandleFunc("GET /apps/notes/token", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, `{"token":"fresh","expires_at":`+jsonInt(time.Now().Add(time.Hour).Unix())+`}`)
	})
	mux.HandleFunc("POST /data/io.hearth.notes/", func(w http.ResponseWriter, r *http.Request) {
		if authorized(w, r) {
			reply(w, 201, `{"ok":true,"id":"n1","rev":"1-a"}`)
		}
	})
	mux.HandleFunc("GET /data/io.hearth.notes/{id}", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case !authorized(w, r):
		case r.PathValue("id") == "_all_docs" && r.URL.Query().Get("include_docs") == "true":
			reply(w, 200, `{"total_rows":1,"rows":[{"id":"n1","doc":{"_id":"n1","title":"a"}}]}`)
		case r.PathValue("id") == "n1":
			reply(w, 200, `{"_id":"n1","_rev":"1-a","title":"a"}`)
		default:
			reply(w, 404, `{"error":"not_found","reason":"missing"}`)
		}
	})
	mux.HandleFunc("POST /data/io.hearth.notes/_find", func(w http.ResponseWriter, r *http.Request) {
		if authorized(w, r) {
			reply(w, 200, `{"docs":[{"_id":"n1","title":"a"}]}`)
		}
	})
	mux.HandleFunc("DELETE /data/io.hearth.notes/n1", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case !authorized(w, r):
		case !r.URL.Query().Has("rev"): // not "rev=undefined"
			reply(w, 400, `{"error":"bad_request","reason":"no rev"}`)
		case r.URL.Query().Get("rev") == "1-a":
			reply(w, 200, `{"ok":true,"id":"n1","rev":"2-b"}`)
		default:
			reply(w, 409, `{"error":"conflict","reason":"Document update conflict."}`)
		}
	})
	mux.HandleFunc("GET /realtime", func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		var auth, sub struct {
			Method  string          `json:"method"`
			Payload json.RawMessage `json:"payload"`
		}
		if wsjson.Read(ctx, c, &auth) != nil || auth.Method != "AUTH" || string(auth.Payload) != `"fresh"` {
			c.Close(websocket.StatusPolicyViolation, "bad AUTH")
			return
		}
		if wsjson.Read(ctx, c, &sub) != nil || sub.Method != "SUBSCRIBE" || string(sub.Payload) != `{"type":"io.hearth.notes"}` {
			c.Close(websocket.StatusPolicyViolation, "bad SUBSCRIBE")
			return
		}
		wsjson.Write(ctx, c, json.RawMessage(`{"event":"SUBSCRIBED","payload":{"type":"io.hearth.notes"}}`))
		wsjson.Write(ctx, c, json.RawMessage(`{"event":"CREATED","payload":{"type":"io.hearth.notes","id":"n2","rev":"1-c","doc":{"_id":"n2","title":"live"}}}`))
		c.Read(ctx) // until the client closes
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

const clientDriver = `
globalThis.window = { hearth: { instance: process.env.INSTANCE + "/", app: "notes", token: "stale" } };
globalThis.location = { origin: "http://notes.invalid" };
require(process.env.HEARTH_JS);
const h = window.hearth;
(async () => {
  const notes = h.data("io.hearth.notes");
  const created = await notes.post({ title: "a" });
  const doc = await notes.get(created.id);
  const all = await notes.all();
  const found = await notes.find({ selector: { title: "a" } });
  const deleted = await notes.delete(doc);
  let noRev = null;
  try { await notes.delete("n1"); } catch (e) { noRev = e.status; }
  let missing = null;
  try { await notes.get("nope"); } catch (e) { missing = e.status; }
  const ev = await new Promise((resolve) => {
    const sub = h.realtime("io.hearth.notes", (e) => { sub.close(); resolve(e); });
  });
  console.log(JSON.stringify({ created: created.id, title: doc.title, rows: all.rows.length,
    found: found.docs.length, deleted: deleted.ok, missing, noRev, token: await h.token(), ev }));
})();
`

// TestClientScriptWithNode runs hearth.js in Node against a fake instance: a stale token is
// renewed after a 401, the data calls reach the documented URLs, and realtime authenticates,
// subscribes and delivers an event.
func TestClientScriptWithNode(t *testing.T) {
	t.Parallel()
	srv := fakeInstance(t)
	dir := t.TempDir()
	js, driver := filepath.Join(dir, "hearth.js"), filepath.Join(dir, "driver.js")
	if err := os.WriteFile(js, clientScript, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(driver, []byte(clientDriver), 0o644); err != nil {
		t.Fatal(err)
	}
	out := testsvc.Node(t, driver, "INSTANCE="+srv.URL, "HEARTH_JS="+js,
		"NODE_OPTIONS=--unhandled-rejections=strict --experimental-websocket --no-warnings")
	var got struct {
		Created, Title, Token string
		Rows, Found, Missing  int
		NoRev                 int
		Deleted               bool
		Ev                    map[string]any
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.Created != "n1" || got.Title != "a" || got.Rows != 1 || got.Found != 1 || !got.Deleted ||
		got.Missing != 404 || got.NoRev != 400 || got.Token != "fresh" {
		t.Fatalf("hearth.js results: %s", out)
	}
	if got.Ev["event"] != "CREATED" || got.Ev["id"] != "n2" || got.Ev["type"] != "io.hearth.notes" {
		t.Fatalf("realtime event: %v", got.Ev)
	}
}
