package controller

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// socketTransport is the http.RoundTripper from the proxy to one app's unix socket. Unlike
// http.Transport, it does each exchange in the calling goroutine (write the request, read the
// response) on a connection taken from a small pool: no reader and writer goroutines per
// connection, no hand-offs between them. That halves the proxy's CPU per request.
//
// Idle connections are dropped before Node's own keep-alive timeout (5 s) closes them; a
// request that meets a connection closed meanwhile is retried once on a new one when it can
// be (no body, or a body that can be sent again), as http.Transport does.
type socketTransport struct {
	path    string
	maxIdle int

	mu     sync.Mutex
	idle   []*sockConn // guarded by mu: most recently used last
	closed bool        // guarded by mu
}

type sockConn struct {
	c         net.Conn
	br        *bufio.Reader
	bw        *bufio.Writer
	idleSince time.Time
	abort     func() // unblocks any read or write now: the request's context is done
}

func newSockConn(c net.Conn) *sockConn {
	sc := &sockConn{c: c, br: bufio.NewReaderSize(c, 16<<10), bw: bufio.NewWriterSize(c, 8<<10)}
	sc.abort = func() { _ = c.SetDeadline(time.Unix(1, 0)) }
	return sc
}

// IdleTTL is how long an idle connection to an app is kept (by the transport, and by a
// lane's loop): less than Node's default keep-alive timeout.
const IdleTTL = 4 * time.Second

func newTransport(path string) *socketTransport { return &socketTransport{path: path, maxIdle: 64} }

// bufPool holds the proxy's copy buffers (*[]byte, 32 KB).
var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// proxyBuffers lends the reverse proxy its copy buffers, instead of one allocation per response.
type proxyBuffers struct{}

func (proxyBuffers) Get() []byte { return *bufPool.Get().(*[]byte) }
func (proxyBuffers) Put(b []byte) {
	if cap(b) == 32<<10 {
		bufPool.Put(&b)
	}
}

// RoundTrip implements http.RoundTripper.
func (t *socketTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.roundTrip(req, false)
}

// roundTrip sends req and reads the response's head. With forwarded, req is a plain request
// of the runtime's client, whose head writeForwarded writes; else it is sent as it is.
func (t *socketTransport) roundTrip(req *http.Request, forwarded bool) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		sc, reused, err := t.get(req.Context())
		if err != nil {
			return nil, err
		}
		resp, err := t.exchange(req, sc, forwarded)
		if err == nil {
			return resp, nil
		}
		sc.c.Close()
		if !reused || attempt > 0 || req.Context().Err() != nil || !replayable(req) {
			return nil, err
		}
		if req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
			if req.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
	}
}

// replayable reports whether req may be sent again after a connection failed under it.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// exchange writes req on sc and reads the response's head. The response's body keeps sc until
// it is closed: sc goes back to the pool if the body was read to its end and the exchange
// allows it, else it is closed.
func (t *socketTransport) exchange(req *http.Request, sc *sockConn, forwarded bool) (*http.Response, error) {
	stop := context.AfterFunc(req.Context(), sc.abort)
	var err error
	if forwarded {
		err = writeForwarded(sc.bw, req)
	} else {
		err = req.Write(sc.bw)
	}
	if err != nil {
		stop()
		return nil, err
	}
	if err := sc.bw.Flush(); err != nil {
		stop()
		return nil, err
	}
	return t.receive(req, sc, forwarded, stop)
}

// receive reads the response to req, sent on sc, as exchange describes; stop ends the
// request's cancellation watch.
func (t *socketTransport) receive(req *http.Request, sc *sockConn, forwarded bool, stop func() bool) (*http.Response, error) {
	var resp *http.Response
	var err error
	plain := false
	if forwarded {
		resp, plain = readPlainResponse(sc.br, req)
	}
	if !plain {
		resp, err = http.ReadResponse(sc.br, req)
	}
	for err == nil && resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
		resp, err = http.ReadResponse(sc.br, req) // informational (100 Continue, 103 Early Hints): the answer follows
	}
	if err != nil {
		stop()
		return nil, err
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		stop()
		resp.Body = &upgraded{Reader: sc.br, Conn: sc.c}
		return resp, nil
	}
	keep := !resp.Close && (forwarded || !req.Close) // a forwarded request asks for no close
	pb := &pooledBody{ReadCloser: resp.Body, r: resp.Body, t: t, sc: sc, keep: keep, stop: stop}
	resp.Body = pb
	if resp.ContentLength == -1 && req.Method != http.MethodHead && !streaming(resp) {
		pb.readAhead(resp, sc.br)
	}
	return resp, nil
}

// streaming reports whether a response is a stream its client reads as it comes.
func streaming(resp *http.Response) bool {
	ct, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
	return strings.EqualFold(strings.TrimSpace(ct), "text/event-stream")
}

// readAhead reads the part of a body without a length (chunked, as Node sends) that has
// already arrived, up to a copy buffer's size. When that is the whole body, the response gets
// its length: the proxy then answers it in one write instead of flushing each chunk as it
// would for a stream of unknown length. It never waits for data that has not arrived.
func (b *pooledBody) readAhead(resp *http.Response, br *bufio.Reader) {
	b.ahead = bufPool.Get().(*[]byte)
	buf := *b.ahead
	n, whole, err := readArrived(b.ReadCloser, br, buf)
	switch {
	case whole:
		b.got.Reset(buf[:n])
		b.r, b.eof = &b.got, false
		setLength(resp, n)
	case err != nil:
		b.got.Reset(buf[:n])
		b.r = io.MultiReader(&b.got, errReader{err})
	case n > 0:
		b.got.Reset(buf[:n])
		b.r = io.MultiReader(&b.got, b.ReadCloser)
	}
}

// readArrived reads into buf what of body (read from br) has arrived in br, never waiting for
// more; whole reports that it is all of it.
func readArrived(body io.Reader, br *bufio.Reader, buf []byte) (n int, whole bool, err error) {
	for br.Buffered() > 0 && n < len(buf) {
		m, err := body.Read(buf[n:])
		n += m
		if errors.Is(err, io.EOF) {
			return n, true, nil
		}
		if err != nil {
			return n, false, err
		}
	}
	return n, false, nil
}

// setLength gives resp, a body of unknown length read whole (n bytes), that length.
func setLength(resp *http.Response, n int) {
	resp.ContentLength = int64(n)
	resp.TransferEncoding = nil
	resp.Header.Set("Content-Length", strconv.Itoa(n))
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// get returns an idle connection or a new one, and whether it was reused.
func (t *socketTransport) get(ctx context.Context) (*sockConn, bool, error) {
	now := time.Now()
	t.mu.Lock()
	for n := len(t.idle); n > 0; n = len(t.idle) {
		sc := t.idle[n-1]
		t.idle = t.idle[:n-1]
		if now.Sub(sc.idleSince) < IdleTTL {
			t.mu.Unlock()
			return sc, true, nil
		}
		sc.c.Close()
	}
	closed := t.closed
	t.mu.Unlock()
	if closed {
		return nil, false, ErrClosed
	}
	c, err := dialSocket(ctx, t.path)
	if err != nil {
		return nil, false, err
	}
	return newSockConn(c), false, nil
}

// put returns a connection to the pool, or closes it when the pool is full or closed.
func (t *socketTransport) put(sc *sockConn) {
	if sc.br.Buffered() > 0 { // the app sent more than the response: do not trust it
		sc.c.Close()
		return
	}
	sc.idleSince = time.Now()
	t.mu.Lock()
	if t.closed || len(t.idle) >= t.maxIdle {
		t.mu.Unlock()
		sc.c.Close()
		return
	}
	t.idle = append(t.idle, sc)
	t.mu.Unlock()
}

// CloseIdleConnections closes the pooled connections (the app stopped).
func (t *socketTransport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	t.mu.Unlock()
	for _, sc := range idle {
		sc.c.Close()
	}
}

// pooledBody is a response body that gives its connection back when read to its end.
type pooledBody struct {
	io.ReadCloser           // the body as read from the connection
	r             io.Reader // what Read returns: the body, or what readAhead kept of it first
	t             *socketTransport
	sc            *sockConn
	keep          bool
	eof           bool
	stop          func() bool  // ends the cancellation watch; false if it already fired
	ahead         *[]byte      // from bufPool, holding what readAhead read; nil if none
	got           bytes.Reader // what readAhead read
	once          sync.Once
}

func (b *pooledBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if errors.Is(err, io.EOF) {
		b.eof = true
	}
	return n, err
}

// Close gives the connection back when the body was read to its end; otherwise (the client
// left in the middle) it closes the connection rather than read what is left.
func (b *pooledBody) Close() error {
	b.once.Do(func() {
		clean := b.stop()
		if b.ahead != nil {
			b.got.Reset(nil)
			bufPool.Put(b.ahead)
		}
		// clean: the abort never ran, so the connection has no deadline to clear.
		if (b.eof || b.ReadCloser == http.NoBody) && b.keep && clean && b.ReadCloser.Close() == nil {
			b.t.put(b.sc)
			return
		}
		b.sc.c.Close()
	})
	return nil
}

// upgraded is the connection of a response that switched protocols (a WebSocket): the proxy
// copies both ways over it.
type upgraded struct {
	*bufio.Reader
	net.Conn
}

func (u *upgraded) Read(p []byte) (int, error) { return u.Reader.Read(p) }
