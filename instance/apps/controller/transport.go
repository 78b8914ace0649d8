package controller

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
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
}

// idleTTL is how long an idle connection is kept: less than Node's default keep-alive timeout.
const idleTTL = 4 * time.Second

func newTransport(path string) *socketTransport { return &socketTransport{path: path, maxIdle: 64} }

var bufPool = sync.Pool{New: func() any { return make([]byte, 32<<10) }}

// proxyBuffers lends the reverse proxy its copy buffers, instead of one allocation per response.
type proxyBuffers struct{}

func (proxyBuffers) Get() []byte  { return bufPool.Get().([]byte) }
func (proxyBuffers) Put(b []byte) { bufPool.Put(b) } //nolint:staticcheck // a slice header is fine here

// RoundTrip implements http.RoundTripper.
func (t *socketTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		sc, reused, err := t.get(req.Context())
		if err != nil {
			return nil, err
		}
		resp, err := t.exchange(req, sc)
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
func (t *socketTransport) exchange(req *http.Request, sc *sockConn) (*http.Response, error) {
	var cancelled bool
	var cmu sync.Mutex
	stop := context.AfterFunc(req.Context(), func() {
		cmu.Lock()
		cancelled = true
		cmu.Unlock()
		_ = sc.c.SetDeadline(time.Unix(1, 0)) // unblock any read or write now
	})
	if err := req.Write(sc.bw); err != nil {
		stop()
		return nil, err
	}
	if err := sc.bw.Flush(); err != nil {
		stop()
		return nil, err
	}
	resp, err := http.ReadResponse(sc.br, req)
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
	keep := !resp.Close && !req.Close
	pb := &pooledBody{ReadCloser: resp.Body, r: resp.Body, t: t, sc: sc, keep: keep, stop: func() bool {
		stopped := stop()
		cmu.Lock()
		defer cmu.Unlock()
		return stopped && !cancelled
	}}
	resp.Body = pb
	if resp.ContentLength == -1 && req.Method != http.MethodHead && !streaming(resp) {
		pb.readAhead(resp, sc.br)
	}
	return resp, nil
}

// maxReadAhead bounds what readAhead keeps in memory.
const maxReadAhead = 64 << 10

// streaming reports whether a response is a stream its client reads as it comes.
func streaming(resp *http.Response) bool {
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return ct == "text/event-stream"
}

// readAhead reads the part of a body without a length (chunked, as Node sends) that has
// already arrived. When that is the whole body, the response gets its length: the proxy then
// answers it in one write instead of flushing each chunk as it would for a stream of unknown
// length. It never waits for data that has not arrived.
func (b *pooledBody) readAhead(resp *http.Response, br *bufio.Reader) {
	var got []byte
	buf := bufPool.Get().([]byte)
	defer bufPool.Put(buf)
	for br.Buffered() > 0 && len(got) < maxReadAhead {
		n, err := b.ReadCloser.Read(buf)
		got = append(got, buf[:n]...)
		if errors.Is(err, io.EOF) {
			b.r, b.eof = bytes.NewReader(got), false
			resp.ContentLength = int64(len(got))
			resp.TransferEncoding = nil
			resp.Header.Set("Content-Length", strconv.Itoa(len(got)))
			return
		}
		if err != nil {
			b.r = io.MultiReader(bytes.NewReader(got), errReader{err})
			return
		}
	}
	if len(got) > 0 {
		b.r = io.MultiReader(bytes.NewReader(got), b.ReadCloser)
	}
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
		if now.Sub(sc.idleSince) < idleTTL {
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
	return &sockConn{c: c, br: bufio.NewReaderSize(c, 16<<10), bw: bufio.NewWriterSize(c, 8<<10)}, false, nil
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
	stop          func() bool // ends the cancellation watch; false if it already fired
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
		if (b.eof || b.ReadCloser == http.NoBody) && b.keep && clean && b.ReadCloser.Close() == nil {
			_ = b.sc.c.SetDeadline(time.Time{})
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
