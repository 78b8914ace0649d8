package runtime_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/instance/runtime"
)

// rawConn is a client connection that writes requests as bytes and reads responses in order.
type rawConn struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
}

func dialRaw(t *testing.T, h *harness) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", h.pub)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	return &rawConn{t: t, conn: c, br: bufio.NewReader(c)}
}

func (c *rawConn) send(raw string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, raw); err != nil {
		c.t.Fatal(err)
	}
}

// read reads the next response, to a request of method.
func (c *rawConn) read(method string) (*http.Response, string) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.br, &http.Request{Method: method})
	if err != nil {
		c.t.Fatalf("read a response: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		c.t.Fatalf("read a body: %v", err)
	}
	return resp, string(body)
}

// A keep-alive connection to a node app is taken over from net/http: its plain requests are
// answered in order, pipelined or not, through the same gate; anything else on it (a body,
// another origin, a malformed head, a close) goes back to net/http, which answers as it
// always does.
func TestTakenOverConnections(t *testing.T) {
	h := start(t, runtime.Config{AllowPrivateGit: true})
	h.addInstance(t, "alice.test")
	if err := installViaAdmin(t, h, "alice.test", fixtureRepo(t, "node-hello")); err != nil {
		t.Fatal(err)
	}
	cookie := appSession(t, h, "alice.test", "http://hello.alice.test/healthz")
	get := "GET /healthz HTTP/1.1\r\nHost: hello.alice.test\r\nCookie: " + cookie + "\r\n\r\n"
	ok := func(c *rawConn, what string) {
		t.Helper()
		resp, body := c.read(http.MethodGet)
		if resp.StatusCode != 200 || body != "ok\n" || resp.Header.Get("Date") == "" {
			t.Fatalf("%s: %d %q %v", what, resp.StatusCode, body, resp.Header)
		}
	}

	headStatus := statusOf(t, h, http.MethodHead, cookie, "")
	postStatus := statusOf(t, h, http.MethodPost, cookie, "hi")
	c := dialRaw(t, h)
	served0, handed0 := runtime.TakenOverRequests(h.rt)
	for i := range 3 {
		c.send(get)
		ok(c, "request "+string(rune('1'+i)))
	}
	c.send(get + get + strings.Replace(get, "GET", "HEAD", 1)) // pipelined
	ok(c, "first pipelined")
	ok(c, "second pipelined")
	if resp, body := c.read(http.MethodHead); resp.StatusCode != headStatus || body != "" {
		t.Errorf("pipelined HEAD: %d %q, on a fresh connection %d", resp.StatusCode, body, headStatus)
	}
	served, handed := runtime.TakenOverRequests(h.rt)
	if looped := runtime.LoopRequests(h.rt); looped < 2 {
		t.Errorf("the loop answered %d requests (want at least 2 of the 6)", looped)
	}
	if served-served0 != 6 || handed != handed0 {
		t.Errorf("%d requests served on the taken-over connection (want 6), %d handed back (want 0)", served-served0, handed-handed0)
	}

	// Without the app's session: the gate answers, as on any connection.
	c.send("GET /healthz HTTP/1.1\r\nHost: hello.alice.test\r\nSec-Fetch-Mode: cors\r\nSec-Fetch-Dest: empty\r\n\r\n")
	if resp, _ := c.read(http.MethodGet); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without the session: %d", resp.StatusCode)
	}

	// A request with a body goes back to net/http, on the same connection, and the next plain
	// one is served again.
	c.send("POST /healthz HTTP/1.1\r\nHost: hello.alice.test\r\nCookie: " + cookie + "\r\nContent-Length: 2\r\n\r\nhi")
	resp, _ := c.read(http.MethodPost)
	if resp.StatusCode != postStatus {
		t.Errorf("POST on a taken-over connection: %d, on a fresh one %d", resp.StatusCode, postStatus)
	}
	c.send(get)
	ok(c, "after the POST")
	if served2, handed2 := runtime.TakenOverRequests(h.rt); served2-served != 1 || handed2-handed != 1 {
		t.Errorf("after a POST: %d more served on taken-over connections (want 1: the gate's), %d handed back (want 1)", served2-served, handed2-handed)
	}

	// Another origin on the same connection: net/http serves it (the instance's login).
	c.send("GET / HTTP/1.1\r\nHost: alice.test\r\n\r\n")
	if resp, body := c.read(http.MethodGet); resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("another origin: %d %v %.200s", resp.StatusCode, resp.Header, body)
	}

	// A malformed head: net/http's 400, then it closes.
	m := dialRaw(t, h)
	m.send(get)
	ok(m, "before the malformed head")
	m.send("GET /healthz HTTP/1.1\r\nHost: hello.alice.test\r\nNo colon here\r\n\r\n")
	if resp, _ := m.read(http.MethodGet); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("malformed head: %d", resp.StatusCode)
	}

	// Connection: close is honoured.
	cl := dialRaw(t, h)
	cl.send(get)
	ok(cl, "before the close")
	cl.send(strings.Replace(get, "\r\n\r\n", "\r\nConnection: close\r\n\r\n", 1))
	ok(cl, "the last request")
	if _, err := cl.br.ReadByte(); err != io.EOF {
		t.Errorf("after Connection: close the connection stays open: %v", err)
	}
}

// statusOf is the status a request to the app's /healthz gets through net/http alone.
func statusOf(t *testing.T, h *harness, method, cookie, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, "http://hello.alice.test/healthz", strings.NewReader(body))
	if body == "" {
		req.Body = http.NoBody
	}
	req.Header.Set("Cookie", cookie)
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A client that leaves while the app streams its answer ends the request on a taken-over
// connection too: the proxy lets go of the app and of the connection.
func TestTakenOverConnectionNoticesTheClientLeaving(t *testing.T) {
	h := start(t, runtime.Config{AllowPrivateGit: true})
	cookie, c := probeConn(t, h)
	open := runtime.TakenOverConns(h.rt) // this one, and the session hand-off's client's
	if open < 1 {
		t.Fatal("the connection was not taken over")
	}
	openStream(t, c, cookie)
	c.conn.Close()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.TakenOverConns(h.rt) != open-1 {
		if time.Now().After(deadline) {
			t.Fatal("the connection of a client that left still waits for the app's stream")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A taken-over connection that waits for its next request longer than IdleConnTimeout is
// closed, as net/http closes its own; a request that runs longer than that (a stream) is not
// cut by it.
func TestTakenOverConnectionIdleTimeout(t *testing.T) {
	const idle = 1500 * time.Millisecond
	h := start(t, runtime.Config{AllowPrivateGit: true, IdleConnTimeout: idle})
	cookie, c := probeConn(t, h)
	if served, _ := runtime.TakenOverRequests(h.rt); served < 1 {
		t.Fatal("the connection was not taken over")
	}
	resp, body := openStream(t, c, cookie)
	time.Sleep(idle + time.Second)
	other := dialRaw(t, h)
	other.send("GET /stream-end HTTP/1.1\r\nHost: probe.alice.test\r\nCookie: " + cookie + "\r\n\r\n")
	other.read(http.MethodGet)
	if rest, err := io.ReadAll(body); err != nil || string(rest) != "last\n" {
		t.Fatalf("a stream longer than the idle timeout was cut: %q %v", rest, err)
	}
	resp.Body.Close()
	waited := time.Now()
	if n, err := c.br.ReadByte(); err != io.EOF {
		t.Fatalf("an idle connection: read %q %v, want the server's close", n, err)
	}
	if d := time.Since(waited); d < idle-time.Second-100*time.Millisecond {
		t.Errorf("closed after %v idle, before the timeout (%v)", d, idle)
	}
}

// probeConn installs the probe app on alice.test, onboards its owner and returns the app's
// session cookie and a connection that has had one plain request answered (taken over).
func probeConn(t *testing.T, h *harness) (string, *rawConn) {
	t.Helper()
	h.addInstance(t, "alice.test")
	installProbe(t, h, "alice.test")
	cookie := appSession(t, h, "alice.test", "http://probe.alice.test/")
	c := dialRaw(t, h)
	c.send("GET / HTTP/1.1\r\nHost: probe.alice.test\r\nCookie: " + cookie + "\r\n\r\n")
	if resp, body := c.read(http.MethodGet); resp.StatusCode != 200 || body != "probe ok\n" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	return cookie, c
}

// openStream asks the probe app for its stream on c and reads the stream's first line; the
// body reads on from there.
func openStream(t *testing.T, c *rawConn, cookie string) (*http.Response, *bufio.Reader) {
	t.Helper()
	c.send("GET /stream HTTP/1.1\r\nHost: probe.alice.test\r\nCookie: " + cookie + "\r\n\r\n")
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body := bufio.NewReader(resp.Body)
	if line, err := body.ReadString('\n'); err != nil || line != "first\n" {
		t.Fatalf("the stream's first line: %q %v", line, err)
	}
	return resp, body
}
