package runtime_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/instance/runtime"
)

// probeGet is a plain GET of path on the probe app's origin with cookie.
func probeGet(path, cookie string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: probe.alice.test\r\nCookie: " + cookie + "\r\nAccept: */*\r\n\r\n"
}

// The event loop sends an app what the handler sends: the same forwarded headers, the app
// session cookie taken out and the app's own cookies kept; its answers are the handler's.
func TestLoopForwardsAsTheHandler(t *testing.T) {
	h := start(t, runtime.Config{AllowPrivateGit: true})
	cookie, c := probeConn(t, h)
	req := probeGet("/headers", cookie+"; theme=dark")
	headers := func(c *rawConn) map[string]string {
		t.Helper()
		c.send(req)
		resp, body := c.read(http.MethodGet)
		var got map[string]string
		if err := json.Unmarshal([]byte(body), &got); resp.StatusCode != 200 || err != nil {
			t.Fatalf("%d %q %v", resp.StatusCode, body, err)
		}
		if resp.Header.Get("Content-Length") != strconv.Itoa(len(body)) || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("answer's header: %v", resp.Header)
		}
		return got
	}
	fresh := headers(dialRaw(t, h)) // net/http, then the handler on a goroutine
	looped := runtime.LoopRequests(h.rt)
	for i := range 4 {
		got := headers(c)
		if len(got) != len(fresh) {
			t.Errorf("request %d: the app got %v, through the handler %v", i, got, fresh)
		}
		for k, v := range fresh {
			if got[k] != v {
				t.Errorf("request %d: %s is %q, through the handler %q", i, k, got[k], v)
			}
		}
	}
	if fresh["cookie"] != "theme=dark" || fresh["x-forwarded-host"] != "probe.alice.test" {
		t.Errorf("the app got %v", fresh)
	}
	// The first goes through the handler (new cookies), the others down the route it left,
	// unless a second passed meanwhile.
	if n := runtime.LoopRequests(h.rt) - looped; n < 1 {
		t.Errorf("the loop answered none of the 4 requests")
	}
	// What the runtime answers on the app's origin stays the runtime's.
	c.send(probeGet("/hearth.js", cookie+"; theme=dark"))
	if resp, body := c.read(http.MethodGet); resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") || len(body) < 100 {
		t.Errorf("/hearth.js on a connection the loop holds: %d %v %.100q", resp.StatusCode, resp.Header, body)
	}
}

// A client that sends its last requests and closes its side at once is answered as on a
// goroutine: a request that ends within watchAfter gets its answer (nearly always both of
// these), a longer one ends there; either way every answer that goes out is whole and the
// connection then ends.
func TestLoopAnswersAClientThatClosedItsSide(t *testing.T) {
	h := start(t, runtime.Config{AllowPrivateGit: true})
	cookie, c := probeConn(t, h)
	c.send(probeGet("/", cookie) + probeGet("/", cookie))
	if err := c.conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	answers := 0
	for {
		if _, err := c.br.Peek(1); err == io.EOF {
			break // the close, between answers
		}
		resp, err := http.ReadResponse(c.br, nil)
		if err != nil {
			t.Fatalf("after %d answers: %v, want whole answers, then the server's close", answers, err)
		}
		body, err := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(body) != "probe ok\n" || err != nil {
			t.Fatalf("answer %d: %d %q %v", answers, resp.StatusCode, body, err)
		}
		answers++
	}
	if answers > 2 {
		t.Fatalf("%d answers to 2 requests", answers)
	}
	t.Logf("%d of 2 requests answered before the close", answers)
}

// Ending the owner's session ends what the loop lets through at once: the next request on a
// connection it holds goes through the app's gate again, which turns it away.
func TestLoopGatesAgainWhenTheSessionEnds(t *testing.T) {
	h := start(t, runtime.Config{AllowPrivateGit: true})
	cookie, c := probeConn(t, h)
	looped := runtime.LoopRequests(h.rt)
	for range 2 {
		c.send(probeGet("/", cookie))
		if resp, body := c.read(http.MethodGet); resp.StatusCode != 200 || body != "probe ok\n" {
			t.Fatalf("%d %q", resp.StatusCode, body)
		}
	}
	if runtime.LoopRequests(h.rt) == looped {
		t.Fatal("the loop answered none of the requests")
	}

	// Another session of the owner's revokes the one behind the app's cookie.
	b := h.browser(t)
	login := b.get("http://alice.test/login")
	b.post("http://alice.test/login", login, url.Values{"passphrase": {passphrase}})
	settings := b.get("http://alice.test/settings")
	revoke := regexp.MustCompile(`action="(/settings/sessions/[0-9a-f]+/revoke)"`).FindStringSubmatch(settings.body)
	if revoke == nil {
		t.Fatalf("no session to revoke: %s", settings.body)
	}
	if p := b.post("http://alice.test"+revoke[1], settings, url.Values{}); p.status != 200 {
		t.Fatalf("revoke: %d", p.status)
	}
	c.send(probeGet("/", cookie))
	if resp, body := c.read(http.MethodGet); resp.StatusCode == 200 {
		t.Errorf("after the session was revoked: %d %q", resp.StatusCode, body)
	}
}

// A client that sends many requests at once and reads the answers late gets them all, whole
// and in order: what its socket does not take goes to a goroutine, which writes it and gives
// the connection back to the loop. Answers too long for the loop are sent by a goroutine too.
func TestLoopAnswersAClientThatReadsLate(t *testing.T) {
	h := start(t, runtime.Config{AllowPrivateGit: true})
	cookie, first := probeConn(t, h)
	// A client whose socket takes little: the loop soon meets a full socket.
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	conn, err := d.Dial("tcp", h.pub)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	c := &rawConn{t: t, conn: conn, br: bufio.NewReader(conn)}
	c.send(probeGet("/", cookie))
	c.read(http.MethodGet)
	first.conn.Close()
	const n = 600 // 7 MB of answers: more than the server's socket holds
	var reqs strings.Builder
	for i := range n {
		kb := 12
		if i == n-1 {
			kb = 100
		}
		reqs.WriteString(probeGet("/big?kb="+strconv.Itoa(kb), cookie))
	}
	c.send(reqs.String())
	// The client reads late: the loop meets its full socket (it does not wait for it).
	deadline := time.Now().Add(10 * time.Second)
	for runtime.LoopSpilled(h.rt) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the loop never met the client's full socket")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i := range n {
		want := 12 << 10
		if i == n-1 {
			want = 100 << 10
		}
		resp, body := c.read(http.MethodGet)
		if resp.StatusCode != 200 || len(body) != want || body[:3] != "abc" || body[len(body)-1] != "abcdefghijklmnopqrstuvwxyz"[(want-1)%26] {
			t.Fatalf("answer %d: %d, %d bytes (want %d)", i, resp.StatusCode, len(body), want)
		}
	}
	if runtime.LoopRequests(h.rt) == 0 {
		t.Errorf("the loop answered none of the %d requests", n)
	}
}

// A client that leaves while the app works on its request ends the request: the loop lets go
// of the app's connection and of the client's, without waiting for the answer.
func TestLoopLetsGoWhenTheClientLeaves(t *testing.T) {
	h := start(t, runtime.Config{AllowPrivateGit: true})
	cookie, c := probeConn(t, h)
	open := runtime.TakenOverConns(h.rt)
	c.send(probeGet("/", cookie))
	c.read(http.MethodGet) // the route is fresh: the next request goes to the loop
	c.send(probeGet("/spin?ms=8000", cookie))
	deadline := time.Now().Add(5 * time.Second)
	for runtime.LoopExchanges(h.rt) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the loop did not send the request")
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.conn.Close()
	for runtime.TakenOverConns(h.rt) != open-1 || runtime.LoopExchanges(h.rt) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the loop still waits for the answer of a client that left")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// An app stopped for being idle while the loop holds a connection to it starts again at the
// connection's next request.
func TestLoopStartsAStoppedAppAgain(t *testing.T) {
	h := start(t, runtime.Config{AllowPrivateGit: true, AppIdleTimeout: 300 * time.Millisecond})
	cookie, c := probeConn(t, h)
	pid := func() int {
		t.Helper()
		c.send(probeGet("/id", cookie))
		resp, body := c.read(http.MethodGet)
		var id struct{ PID int }
		if err := json.Unmarshal([]byte(body), &id); resp.StatusCode != 200 || err != nil {
			t.Fatalf("%d %q", resp.StatusCode, body)
		}
		return id.PID
	}
	first := pid()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NodeAppState(h.rt, "alice.test", "probe") != "stopped" {
		if time.Now().After(deadline) {
			t.Fatal("the idle app was not stopped")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if again := pid(); again == first {
		t.Errorf("the app answered from the process that was stopped (%d)", first)
	}
}
