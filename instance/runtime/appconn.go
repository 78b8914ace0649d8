package runtime

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hearth-cloud/hearth/internal/nbconn"
)

// A connection to a node app's origin carries, nearly always, plain requests (GET or HEAD, no
// body) for that one origin, one after the other. net/http spends more CPU on each of them
// than the proxying itself: a goroutine per request watching the connection, a copy and a sort
// of the response's headers. So the first plain request of a plain-HTTP/1.1 connection to a
// node app takes the connection over from net/http (Hijack), and appConn serves it and the
// connection's later requests itself: each request's head is parsed (parsePlainRequest, held to
// net/http's parser by a test), goes through the same handler as any request (routing, the
// app's gate, the proxy), and its response is written straight onto the connection. A request that is not
// plain, not for the same origin, or not parsed cleanly is not served here: the connection,
// with that request still unread, goes back to net/http (a second http.Server serving the
// handed-back connections), which answers it and the rest as usual. Between its requests, a
// connection whose last request passed its node app's gate waits in the event loop (see
// reactor), not in a goroutine of its own.

// maxFastHead bounds the head of a request served on a taken-over connection; a longer one
// goes back to net/http, which applies its own bound.
const maxFastHead = 4 << 10

// bufferedBody is how much of a response body appConn holds to send it with its length; past
// it, or on Flush, the body is sent chunked as it comes (when its length is unknown).
const bufferedBody = 32 << 10

// appConns keeps the connections taken over from net/http.
type appConns struct {
	mu      sync.Mutex
	conns   map[*appConn]struct{} // guarded by mu
	closing atomic.Bool           // set under mu
	wg      sync.WaitGroup
	back    *handBackListener // the connections going back to net/http; nil: no take-over
	backSrv *http.Server      // the server of back
	loop    *reactor          // serves the connections between their requests; nil: none
	served  atomic.Int64      // requests served on taken-over connections (tests)
	handed  atomic.Int64      // connections handed back (tests)
	looped  atomic.Int64      // requests the loop answered itself (tests)
	// requests the loop sent to apps and has not answered yet (tests)
	exchanges atomic.Int64
	spilled   atomic.Int64 // answers the loop left to a goroutine to write (tests)
}

// takeOver serves r (a plain request to the node app h, already let through its gate) and the
// later requests of its connection, when the connection may be taken over; it reports false,
// having done nothing, when it may not.
func (rt *Runtime) takeOver(w http.ResponseWriter, r *http.Request, h http.Handler, route *nodeRoute) bool {
	cs := &rt.appConns
	if fw, ours := w.(*fastWriter); ours {
		fw.c.route = route // for the connection's next requests
		return false
	}
	if cs.back == nil || !plainFast(r) || r.TLS != nil {
		return false
	}
	// A connection handed back stays with net/http: it has shown it carries other requests.
	srv, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	if srv == nil || srv.Handler == nil || srv == cs.backSrv {
		return false
	}
	if cs.isClosing() {
		return false
	}
	hijacked, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return false
	}
	conn, err := nbconn.New(hijacked)
	if err != nil {
		hijacked.Close()
		return true
	}
	c := &appConn{cs: cs, conn: conn, src: &watchedConn{Conn: conn}, host: r.Host, route: route,
		remote: r.RemoteAddr, handler: srv.Handler, log: rt.log, hdrTimeout: srv.ReadHeaderTimeout,
		idleTimeout: srv.IdleTimeout}
	c.bw = bufio.NewWriterSize(outWriter{c}, 4<<10)
	// Reads go through src, where a byte read while watching for the client's leaving is kept.
	ahead, _ := brw.Reader.Peek(brw.Reader.Buffered())
	c.br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(ahead)), c.src), maxFastHead)
	if !cs.add(c) {
		conn.Close()
		return true
	}
	// One context for the connection's requests, which outlives this handler (net/http ends
	// the request's when it returns): the client leaving ends it, and the connection with it.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	c.cancel = cancel
	c.base = new(http.Request).WithContext(ctx)
	c.serve(r.WithContext(ctx), h)
	return true
}

// plainFast reports whether a request may be served on a taken-over connection: HTTP/1.1, GET
// or HEAD, no body, no protocol upgrade, no Expect, the connection kept.
func plainFast(r *http.Request) bool {
	return r.ProtoMajor == 1 && r.ProtoMinor == 1 && (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
		r.ContentLength == 0 && len(r.TransferEncoding) == 0 && (r.Body == nil || r.Body == http.NoBody) &&
		!r.Close && r.Header["Upgrade"] == nil && r.Header["Expect"] == nil && r.Header["Content-Length"] == nil &&
		strings.HasPrefix(r.RequestURI, "/")
}

func (cs *appConns) add(c *appConn) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closing.Load() {
		return false
	}
	if cs.conns == nil {
		cs.conns = map[*appConn]struct{}{}
	}
	cs.conns[c] = struct{}{}
	cs.wg.Add(1)
	return true
}

func (cs *appConns) remove(c *appConn) {
	cs.mu.Lock()
	delete(cs.conns, c)
	cs.mu.Unlock()
	cs.wg.Done()
}

// shutdown lets the taken-over connections finish the request they serve, closes them, and
// waits for them until ctx ends.
func (cs *appConns) shutdown(ctx context.Context) {
	cs.mu.Lock()
	cs.closing.Store(true)
	for c := range cs.conns {
		c.wake()
	}
	cs.mu.Unlock()
	cs.loop.shutdown()
	done := make(chan struct{})
	go func() { cs.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		cs.mu.Lock()
		for c := range cs.conns {
			c.conn.Close()
		}
		cs.mu.Unlock()
	}
	if cs.back != nil {
		cs.back.Close()
	}
}

func (cs *appConns) isClosing() bool { return cs.closing.Load() }

// appConn is a connection taken over from net/http.
type appConn struct {
	cs         *appConns
	conn       *nbconn.Conn // direct while the loop has it
	src        *watchedConn // conn, as br reads it
	br         *bufio.Reader
	bw         *bufio.Writer
	host       string // the origin the connection serves
	remote     string
	handler    http.Handler // the server's
	log        interface{ Warn(string, ...any) }
	hdrTimeout time.Duration

	// The connection is closed when it waits idleTimeout for its next request. Its read
	// deadline for that is moved at most once a second (idleSet: when; zero: no deadline),
	// not at every request, so an idle wait may end up to a second early.
	idleTimeout time.Duration
	idleSet     time.Time

	cancel context.CancelFunc // ends ctx: the client left
	idle   atomic.Bool        // waiting for the next request

	// The watch of a request that runs long (startWatch).
	timer     *time.Timer
	watchMu   sync.Mutex
	watching  bool          // guarded by watchMu: a request runs, and may be watched
	watchDone chan struct{} // guarded by watchMu: closed when the running watch ends
	aborted   atomic.Bool   // the watch's read was ended on purpose

	base   *http.Request // carries the requests' context: the later requests are copies of it
	w      fastWriter    // the response writer, reused
	body   []byte        // the buffered response body, reused
	handed bool          // the connection went back to net/http

	route   *nodeRoute // how the last request reached its app; nil: not through the lane
	pending []byte     // answer bytes the loop could not write without waiting
	loop    loopState  // the loop's, while it has the connection
}

// outWriter writes what bw holds to the connection. While the loop has the connection, what
// the socket does not take at once is kept in pending, for a goroutine to write.
type outWriter struct{ c *appConn }

func (o outWriter) Write(p []byte) (int, error) {
	c := o.c
	if !c.conn.Direct() {
		return c.conn.Write(p)
	}
	if len(c.pending) > 0 {
		c.pending = append(c.pending, p...)
		return len(p), nil
	}
	n, err := c.conn.Write(p)
	if errors.Is(err, nbconn.ErrWouldBlock) {
		c.pending = append(c.pending, p[n:]...)
		return len(p), nil
	}
	return n, err
}

// wake makes a connection waiting for its next request give up now (shutdown).
func (c *appConn) wake() {
	if c.idle.Load() {
		_ = c.conn.SetReadDeadline(time.Unix(1, 0))
	}
}

// serve answers req with h (none when req is nil), then the connection's later requests with
// the server's handler, until the client leaves, a request cannot be served here, the server
// shuts down, or the loop takes the connection (see adopt).
func (c *appConn) serve(req *http.Request, h http.Handler) {
	ends := true // the connection ends here; false: it went to the loop or back to net/http
	defer func() {
		if ends {
			c.end()
		}
	}()
	if len(c.pending) > 0 {
		_, err := c.conn.Write(c.pending)
		if c.pending = c.pending[:0]; err != nil {
			return
		}
	}
	for {
		if req != nil {
			w := c.writer(req)
			c.startWatch()
			ran := c.run(w, req, h)
			c.stopWatch()
			if ran {
				c.cs.served.Add(1) // before the answer reaches the client, who may look
			}
			if !ran || !w.finish() || w.closeAfter {
				return
			}
		}
		if c.route != nil && c.br.Buffered() == 0 && !c.src.hasKept && c.cs.loop.adopt(c) {
			ends = false
			return
		}
		var ok bool
		if req, ok = c.next(); !ok {
			return
		}
		if req == nil {
			c.handBack()
			return
		}
		h = c.handler
	}
}

// end closes the connection, or lets it go when it went back to net/http.
func (c *appConn) end() {
	if !c.handed {
		c.conn.Close()
	}
	c.cancel()
	c.cs.remove(c)
}

// writer returns the response writer of req: the connection's, reset, its header map emptied
// for reuse.
func (c *appConn) writer(req *http.Request) *fastWriter {
	h := c.w.h
	if h == nil {
		h = http.Header{}
	} else {
		clear(h)
	}
	c.w = fastWriter{c: c, req: req, h: h, declared: -1, trailers: c.w.trailers[:0]}
	return &c.w
}

// run calls h, recovering from its panics as net/http would; false: the connection must end.
func (c *appConn) run(w *fastWriter, r *http.Request, h http.Handler) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler { //nolint:errorlint // the sentinel itself is what handlers panic with
				c.log.Warn("runtime: panic serving an app's connection", "host", c.host, "panic", v)
			}
			ok = false
		}
	}()
	h.ServeHTTP(w, r)
	return true
}

// next reads the next request. It returns (nil, true) when the request must go back to
// net/http (left unread), and false when the connection ends.
func (c *appConn) next() (*http.Request, bool) {
	c.idle.Store(true)
	if c.cs.isClosing() {
		return nil, false
	}
	if c.idleTimeout > 0 && c.br.Buffered() == 0 && !c.src.hasKept {
		if now := time.Now(); now.Sub(c.idleSet) >= time.Second {
			_ = c.conn.SetReadDeadline(now.Add(c.idleTimeout))
			c.idleSet = now
		}
	}
	_, err := c.br.Peek(1)
	c.idle.Store(false)
	if err != nil {
		return nil, false
	}
	buf, _ := c.br.Peek(c.br.Buffered())
	end := headEnd(buf)
	if end == 0 {
		// The head came in parts: the rest must come within the server's bound.
		if c.hdrTimeout > 0 {
			c.setDeadline(time.Now().Add(c.hdrTimeout))
		}
		for end == 0 {
			if _, err := c.br.Peek(len(buf) + 1); err != nil {
				if len(buf) > 0 && errors.Is(err, bufio.ErrBufferFull) {
					end = -1
					break
				}
				return nil, false
			}
			buf, _ = c.br.Peek(c.br.Buffered())
			end = headEnd(buf)
		}
		if c.hdrTimeout > 0 {
			c.setDeadline(time.Time{})
		}
	}
	if end < 0 {
		return nil, true
	}
	return c.takeHead(buf[:end]), true
}

// takeHead parses head, the whole head at the start of br, and reads it: the request, or nil
// (head left unread) when it is not a plain request for the connection's origin.
func (c *appConn) takeHead(head []byte) *http.Request {
	req, ok := parsePlainRequest(head, c.base)
	if !ok || !strings.EqualFold(req.Host, c.host) {
		return nil
	}
	_, _ = c.br.Discard(len(head))
	req.RemoteAddr = c.remote
	return req
}

// setDeadline sets the connection's read deadline for anything but the idle wait (which sets
// its own again after it).
func (c *appConn) setDeadline(t time.Time) {
	_ = c.conn.SetReadDeadline(t)
	c.idleSet = time.Time{}
}

// headEnd is the length of the request head at the start of buf: 0 when it has not all come
// yet, -1 when it is not for a taken-over connection (a head with bare line feeds, or longer
// than maxFastHead), which net/http reads instead.
func headEnd(buf []byte) int {
	if i := bytes.Index(buf, []byte("\n\r\n")); i >= 0 && i+3 <= maxFastHead {
		return i + 3
	}
	if bytes.Contains(buf, []byte("\n\n")) || len(buf) >= maxFastHead {
		return -1
	}
	return 0
}

// watchAfter is how long a request runs before its connection is watched for the client's
// leaving (as net/http watches every request's): then the request's context ends, and with it
// the app's answer it waits for. Nearly every request is answered before.
const watchAfter = 100 * time.Millisecond

// watchedConn is the connection as the request reader sees it: a byte read by a watch comes
// first.
type watchedConn struct {
	net.Conn
	kept    byte
	hasKept bool
}

func (w *watchedConn) Read(p []byte) (int, error) {
	if w.hasKept && len(p) > 0 {
		p[0], w.hasKept = w.kept, false
		return 1, nil
	}
	return w.Conn.Read(p)
}

// startWatch arranges for the connection to be watched for the client's leaving if the request
// still runs after watchAfter, unless the next request is already there (a client that leaves
// then is noticed on writing).
func (c *appConn) startWatch() {
	if c.br.Buffered() > 0 || c.src.hasKept {
		return
	}
	c.watchMu.Lock()
	c.watching = true
	c.watchMu.Unlock()
	if c.timer == nil {
		c.timer = time.AfterFunc(watchAfter, c.watchNow)
	} else {
		c.timer.Reset(watchAfter)
	}
}

// watchNow reads from the connection until the watch stops: a byte is the next request's
// first, kept for it; an error is the client leaving, which ends the connection's context.
func (c *appConn) watchNow() {
	c.watchMu.Lock()
	if !c.watching || c.watchDone != nil {
		c.watchMu.Unlock()
		return
	}
	// The idle wait's deadline must not end the watch of a long request. Cleared before the
	// watch is published: stopWatch's own deadline comes after.
	c.setDeadline(time.Time{})
	done := make(chan struct{})
	c.watchDone = done
	c.watchMu.Unlock()
	defer close(done)
	var b [1]byte
	n, err := c.conn.Read(b[:])
	switch {
	case n == 1:
		c.src.kept, c.src.hasKept = b[0], true
	case err != nil && !c.aborted.Load():
		c.cancel()
	}
}

// stopWatch ends the watch of the request that ended, and waits for it.
func (c *appConn) stopWatch() {
	c.watchMu.Lock()
	c.watching = false
	done := c.watchDone
	c.watchDone = nil
	c.watchMu.Unlock()
	if c.timer != nil {
		c.timer.Stop()
	}
	if done != nil {
		c.aborted.Store(true)
		c.setDeadline(time.Unix(1, 0))
		<-done
		c.setDeadline(time.Time{})
		c.aborted.Store(false)
	}
}
