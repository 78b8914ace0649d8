package runtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hearth-cloud/hearth/instance/admin"
	"github.com/hearth-cloud/hearth/instance/apps"
	"github.com/hearth-cloud/hearth/instance/realtime"
	"github.com/hearth-cloud/hearth/instance/runtime"
	"github.com/hearth-cloud/hearth/internal/testsvc"
)

// streamResult is how a long-lived data request ended.
type streamResult struct {
	status int
	body   string
	err    error // nil: the response ended (EOF)
}

// stream sends a GET that may stay open and reads its response to the end in the background.
func (h *harness) stream(t *testing.T, ctx context.Context, u, token string) <-chan streamResult {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	out := make(chan streamResult, 1)
	go func() {
		resp, err := h.client.Do(req)
		if err != nil {
			out <- streamResult{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		out <- streamResult{status: resp.StatusCode, body: string(b), err: err}
	}()
	return out
}

// ended waits for a stream's end; its own context bounds the wait.
func ended(t *testing.T, what string, c <-chan streamResult) streamResult {
	t.Helper()
	r := <-c
	if r.err != nil {
		t.Fatalf("%s did not end: %v", what, r.err)
	}
	return r
}

// closeStatus reads conn until the server closes it, and returns the status and reason.
func closeStatus(t *testing.T, ctx context.Context, conn *websocket.Conn) (websocket.StatusCode, string) {
	t.Helper()
	for {
		if _, _, err := conn.Read(ctx); err != nil {
			var ce websocket.CloseError
			if !errors.As(err, &ce) {
				t.Fatalf("the connection did not close with a status: %v", err)
			}
			return ce.Code, ce.Reason
		}
	}
}

// waitStreams polls until n streams of subject are open on domain.
func (h *harness) waitStreams(t *testing.T, domain, subject string, n int) {
	t.Helper()
	inst, ok := h.rt.Instances().Cached(domain)
	if !ok {
		t.Fatalf("no instance %s", domain)
	}
	deadline := time.Now().Add(20 * time.Second)
	for runtime.OpenStreams(h.rt, inst.ID, subject) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d streams of %s open, want %d", runtime.OpenStreams(h.rt, inst.ID, subject), subject, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// authMessage opens /realtime on host, authorizes with the AUTH message and subscribes.
func (h *harness) authMessage(t *testing.T, ctx context.Context, host, token, doctype string) *websocket.Conn {
	t.Helper()
	conn, resp, err := websocket.Dial(ctx, "ws://"+host+"/realtime", &websocket.DialOptions{HTTPClient: h.client})
	if err != nil {
		t.Fatalf("dial realtime: %v (%v)", err, resp)
	}
	t.Cleanup(func() { conn.CloseNow() })
	send(t, ctx, conn, map[string]any{"method": "AUTH", "payload": token})
	send(t, ctx, conn, map[string]any{"method": "SUBSCRIBE", "payload": map[string]string{"type": doctype}})
	if m := receive(t, ctx, conn); m.Event != "SUBSCRIBED" {
		t.Fatalf("subscribe answered %+v", m)
	}
	return conn
}

func TestDeviceStreamsEndWhenRevoked(t *testing.T) {
	h := start(t, runtime.Config{})
	h.addInstance(t, "alice.test")
	b := onboard(t, h, "alice.test")
	_, tok := connect(t, h, b, "alice.test", "laptop", "io.hearth.notes")
	if st, body := h.do(t, "PUT", "http://alice.test/data/io.hearth.notes/n1", tok.AccessToken, map[string]any{"a": 1}); st != 201 {
		t.Fatalf("PUT: %d %v", st, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	changes := "http://alice.test/data/io.hearth.notes/_changes"
	continuous := h.stream(t, ctx, changes+"?feed=continuous&since=now&heartbeat=500", tok.AccessToken)
	longpoll := h.stream(t, ctx, changes+"?feed=longpoll&since=now&timeout=60000", tok.AccessToken)
	header := h.subscribe(t, ctx, "alice.test", tok.AccessToken, "io.hearth.notes")
	message := h.authMessage(t, ctx, "alice.test", tok.AccessToken, "io.hearth.notes")
	subject := "device:" + tok.DeviceID
	h.waitStreams(t, "alice.test", subject, 4)
	// A short request registers nothing.
	if st, _ := h.do(t, "GET", "http://alice.test/data/io.hearth.notes/n1", tok.AccessToken, nil); st != 200 {
		t.Fatalf("GET: %d", st)
	}
	h.waitStreams(t, "alice.test", subject, 4)

	settings := b.get("http://alice.test/settings")
	revoke := regexp.MustCompile(`action="(/settings/devices/` + tok.DeviceID + `/revoke)"`).FindStringSubmatch(settings.body)
	if revoke == nil {
		t.Fatal("no revoke button")
	}
	if p := b.post("http://alice.test"+revoke[1], settings, url.Values{}); p.status != 200 {
		t.Fatalf("revoke: %d", p.status)
	}

	// The continuous feed just ends, as CouchDB's does; the longpoll answers as at a timeout.
	if r := ended(t, "the continuous feed", continuous); r.status != 200 {
		t.Errorf("continuous feed: %d %s", r.status, r.body)
	}
	r := ended(t, "the longpoll feed", longpoll)
	var lp struct {
		Results []any `json:"results"`
		LastSeq any   `json:"last_seq"`
	}
	if err := json.Unmarshal([]byte(r.body), &lp); r.status != 200 || err != nil || lp.Results == nil || lp.LastSeq == nil {
		t.Errorf("longpoll feed: %d %s", r.status, r.body)
	}
	for _, conn := range []*websocket.Conn{header, message} {
		if code, reason := closeStatus(t, ctx, conn); code != realtime.StatusTokenEnded || reason != "token expired or revoked" {
			t.Errorf("realtime closed with %d %q", code, reason)
		}
	}
	h.waitStreams(t, "alice.test", subject, 0)
	// Its retry is refused.
	if r := ended(t, "a new feed", h.stream(t, ctx, changes+"?feed=continuous&since=now", tok.AccessToken)); r.status != 401 {
		t.Errorf("a new feed of the revoked device: %d %s", r.status, r.body)
	}
}

func TestStreamsEndWhenTheTokenExpires(t *testing.T) {
	h := start(t, runtime.Config{})
	h.addInstance(t, "alice.test")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	long := h.token(t, "alice.test", "io.hearth.notes")
	if st, body := h.do(t, "PUT", "http://alice.test/data/io.hearth.notes/n1", long, map[string]any{"a": 1}); st != 201 {
		t.Fatalf("PUT: %d %v", st, body)
	}
	// Long enough to subscribe first on a slow machine; expiry is to the second.
	tok, err := h.admin.Token(ctx, "alice.test", admin.TokenRequest{Scopes: []string{"io.hearth.notes"}, TTL: "4s"})
	if err != nil {
		t.Fatal(err)
	}
	lasting := h.subscribe(t, ctx, "alice.test", long, "io.hearth.notes")
	header := h.subscribe(t, ctx, "alice.test", tok, "io.hearth.notes")
	message := h.authMessage(t, ctx, "alice.test", tok, "io.hearth.notes")
	continuous := h.stream(t, ctx, "http://alice.test/data/io.hearth.notes/_changes?feed=continuous&since=now&heartbeat=500", tok)
	for _, conn := range []*websocket.Conn{header, message} {
		if code, reason := closeStatus(t, ctx, conn); code != realtime.StatusTokenEnded || reason != "token expired or revoked" {
			t.Errorf("realtime closed with %d %q", code, reason)
		}
	}
	if r := ended(t, "the continuous feed", continuous); r.status != 200 {
		t.Errorf("continuous feed: %d %s", r.status, r.body)
	}
	// A token without expiry keeps its connection.
	if st, _ := h.do(t, "PUT", "http://alice.test/data/io.hearth.notes/n2", long, map[string]any{"a": 2}); st != 201 {
		t.Fatal("PUT n2")
	}
	if m := receive(t, ctx, lasting); m.Event != "CREATED" || m.Payload["id"] != "n2" {
		t.Errorf("the lasting connection got %+v", m)
	}
}

func TestAppStreamsEndWhenUninstalled(t *testing.T) {
	h := start(t, runtime.Config{AllowPrivateGit: true})
	h.addInstance(t, "alice.test")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	plan, err := h.admin.PrepareApp(ctx, "alice.test", apps.Source{URL: fixtureRepo(t, "static-notes"), Ref: "v1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	in, err := h.admin.AcceptPlan(ctx, "alice.test", plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := h.admin.Token(ctx, "alice.test", admin.TokenRequest{Scopes: in.Scopes, Subject: "app:notes"})
	if err != nil {
		t.Fatal(err)
	}
	if st, body := h.do(t, "PUT", "http://alice.test/data/io.hearth.notes/n1", tok, map[string]any{"a": 1}); st != 201 {
		t.Fatalf("PUT with the app's token: %d %v", st, body)
	}
	conn := h.subscribe(t, ctx, "alice.test", tok, "io.hearth.notes")
	continuous := h.stream(t, ctx, "http://alice.test/data/io.hearth.notes/_changes?feed=continuous&since=now&heartbeat=500", tok)
	h.waitStreams(t, "alice.test", "app:notes", 2)

	if _, err := h.admin.RemoveApp(ctx, "alice.test", "notes", false); err != nil {
		t.Fatal(err)
	}
	if code, reason := closeStatus(t, ctx, conn); code != realtime.StatusTokenEnded || reason != "token expired or revoked" {
		t.Errorf("realtime closed with %d %q", code, reason)
	}
	if r := ended(t, "the continuous feed", continuous); r.status != 200 {
		t.Errorf("continuous feed: %d %s", r.status, r.body)
	}
	h.waitStreams(t, "alice.test", "app:notes", 0)
}

func TestAppStreamsEndWhenAnUpdateApprovesLess(t *testing.T) {
	h := start(t, runtime.Config{AllowPrivateGit: true})
	h.addInstance(t, "alice.test")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	manifest := func(version, perms string) string {
		return `{"slug": "memo", "name": "Memo", "version": "` + version + `", "kind": "static", "permissions": {` + perms + `}}`
	}
	notes := `"notes": {"doctype": "io.hearth.notes", "verbs": ["GET"], "description": "To read your notes."}`
	contacts := `"contacts": {"doctype": "io.hearth.contacts", "verbs": ["GET"], "description": "To name who wrote a note."}`
	repo := testsvc.GitRepo(t, map[string]string{"hearth.json": manifest("1.0.0", notes+", "+contacts), "index.html": "v1"}, "v1.0.0")
	if err := installViaAdmin(t, h, "alice.test", serveRepo(t, repo)); err != nil {
		t.Fatal(err)
	}
	testsvc.GitCommit(t, repo, map[string]string{"hearth.json": manifest("2.0.0", notes), "index.html": "v2"}, "v2.0.0")
	both, err := h.admin.Token(ctx, "alice.test", admin.TokenRequest{Scopes: []string{"io.hearth.notes:GET", "io.hearth.contacts:GET"}, Subject: "app:memo"})
	if err != nil {
		t.Fatal(err)
	}
	notesOnly, err := h.admin.Token(ctx, "alice.test", admin.TokenRequest{Scopes: []string{"io.hearth.notes:GET"}, Subject: "app:memo"})
	if err != nil {
		t.Fatal(err)
	}
	narrowed := h.subscribe(t, ctx, "alice.test", both, "io.hearth.notes")
	kept := h.subscribe(t, ctx, "alice.test", notesOnly, "io.hearth.notes")
	h.waitStreams(t, "alice.test", "app:memo", 2)

	if res, err := h.admin.UpdateApp(ctx, "alice.test", "memo", "v2.0.0"); err != nil || !res.Applied {
		t.Fatalf("update: %+v %v", res, err)
	}
	if code, _ := closeStatus(t, ctx, narrowed); code != realtime.StatusTokenEnded {
		t.Errorf("the token approved for more closed with %d", code)
	}
	h.waitStreams(t, "alice.test", "app:memo", 1)
	send(t, ctx, kept, map[string]any{"method": "SUBSCRIBE", "payload": map[string]string{"type": "io.hearth.files"}})
	if m := receive(t, ctx, kept); m.Event != "error" {
		t.Errorf("the token still approved: %+v", m)
	}
}
