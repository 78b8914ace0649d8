package controller

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/hearth-cloud/hearth/internal/nbconn"
)

// A Lane lets an event loop exchange plain requests with a running app itself, on connections
// it waits on with its own poller: no goroutine waits for the app's answer. The loop does
// what Handler does for such a request, in steps that never block (Begin, Send, Fill,
// Answer, End). Anything else (an app to start, an answer that is not whole and plain, an
// error) goes back to a goroutine: the Handler, or Finish for an exchange already begun.
type Lane struct {
	p       *proc
	tree    string
	invalid bool
}

// Lane returns the lane of app: its requests count as Handler's do for the app's idle stop.
func (c *Controller) Lane(app App) *Lane {
	return &Lane{p: c.proc(app.Instance, app.Slug), tree: app.Tree, invalid: app.check() != nil}
}

// Run names one run of an app: connections dialed for one run are no use to another.
type Run struct{ r *run }

// Begin counts a request to the app, until End, when the app runs the lane's tree; false when
// it does not (stopped, starting, crashed, another version): the request must go through
// Handler, which starts the app or tells why it cannot.
func (l *Lane) Begin() (Run, bool) {
	p := l.p
	if l.invalid || p.c.closed.Load() {
		return Run{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.removed || p.state != StateRunning || p.app.Tree != l.tree {
		return Run{}, false
	}
	p.active++
	return Run{p.cur}, true
}

// End ends a request counted by Begin.
func (l *Lane) End() { l.p.release() }

// Upstream is a connection of a lane to its app, read and written without waiting.
type Upstream struct {
	lane *Lane
	run  Run
	nc   *nbconn.Conn
	sc   *sockConn
}

// Dial connects to the app of run (a unix socket: it does not wait for the app).
func (l *Lane) Dial(run Run) (*Upstream, error) {
	c, err := dialSocket(context.Background(), l.p.transport.path)
	if err != nil {
		return nil, err
	}
	nc, err := nbconn.New(c)
	if err != nil {
		c.Close()
		return nil, err
	}
	nc.SetDirect(true)
	return &Upstream{lane: l, run: run, nc: nc, sc: newSockConn(nc)}, nil
}

// Fd is the connection's descriptor, for the loop's poller.
func (u *Upstream) Fd() int { return u.nc.Fd() }

// Run is the run the connection was dialed for.
func (u *Upstream) Run() Run { return u.run }

// Lane is the lane the connection belongs to.
func (u *Upstream) Lane() *Lane { return u.lane }

// Close closes the connection.
func (u *Upstream) Close() { u.sc.c.Close() }

// Send writes the head of r (a plain GET of the runtime's client, as Handler gets it) as the
// app gets it. An error means it was not sent whole: the connection must be closed.
func (u *Upstream) Send(r *http.Request) error {
	if err := writeForwarded(u.sc.bw, r); err != nil {
		return err
	}
	return u.sc.bw.Flush()
}

// Answer is how far the app's answer has come.
type Answer int

const (
	AnswerPending Answer = iota // not whole yet: wait for the connection to be readable
	AnswerReady                 // whole: Respond writes it without waiting
	AnswerSlow                  // its head came, not all its body (a stream?), or it is odd: Finish, on a goroutine
)

// Fill reads what the app sent so far. An error means the connection ended or broke; got
// tells whether any of the answer had come.
func (u *Upstream) Fill() (a Answer, got bool, err error) {
	br := u.sc.br
	for {
		_, err = br.Peek(br.Buffered() + 1)
		got = br.Buffered() > 0
		if a = u.answer(); a != AnswerPending {
			return a, got, nil
		}
		if errors.Is(err, nbconn.ErrWouldBlock) {
			return AnswerPending, got, nil
		}
		if err != nil {
			return AnswerPending, got, err
		}
		if !u.nc.Full {
			return AnswerPending, got, nil
		}
	}
}

// answer looks at the buffered answer: whether its head and its whole body (of a
// Content-Length, or chunked) have come.
func (u *Upstream) answer() Answer {
	br := u.sc.br
	buf, _ := br.Peek(br.Buffered())
	end := bytes.Index(buf, []byte("\r\n\r\n"))
	if end < 0 {
		if br.Buffered() == br.Size() {
			return AnswerSlow
		}
		return AnswerPending
	}
	// As the transport, the loop never waits for a body that has not come with its head:
	// what comes later may be a stream, which a goroutine sends on as it comes.
	n, chunked, ok := bodyFraming(buf[:end+2])
	switch {
	case !ok:
		return AnswerSlow
	case chunked:
		return chunksCame(buf[end+4:])
	case len(buf) >= end+4+n:
		return AnswerReady
	}
	return AnswerSlow
}

// bodyFraming tells how a response head (each line ending in CRLF) frames its body: the value
// of its one Content-Length line, or chunked; false for anything else (neither, both, more than
// one, another transfer coding).
func bodyFraming(head []byte) (length int, chunked, ok bool) {
	length = -1
	for len(head) > 0 {
		i := bytes.Index(head, []byte("\r\n"))
		line := head[:i]
		head = head[i+2:]
		k, v, found := bytes.Cut(line, []byte(":"))
		v = bytes.TrimSpace(v)
		switch {
		case !found:
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			if chunked || !bytes.Equal(v, []byte("chunked")) {
				return 0, false, false
			}
			chunked = true
		case bytes.EqualFold(k, []byte("Content-Length")):
			m, err := strconv.Atoi(string(v))
			if length >= 0 || err != nil || m < 0 {
				return 0, false, false
			}
			length = m
		}
	}
	if chunked == (length >= 0) {
		return 0, false, false
	}
	return length, chunked, true
}

// chunksCame tells whether body holds a whole chunked body: its chunks, the last one and the
// empty line that ends its trailer.
func chunksCame(body []byte) Answer {
	for {
		i := bytes.Index(body, []byte("\r\n"))
		if i < 0 {
			return AnswerSlow
		}
		size, _, _ := bytes.Cut(body[:i], []byte(";"))
		n, err := strconv.ParseUint(string(bytes.TrimSpace(size)), 16, 31)
		if err != nil {
			return AnswerSlow // the transport tells what is wrong with it
		}
		body = body[i+2:]
		if n == 0 {
			// The trailer: lines up to an empty one.
			if bytes.HasPrefix(body, []byte("\r\n")) || bytes.Contains(body, []byte("\r\n\r\n")) {
				return AnswerReady
			}
			return AnswerSlow
		}
		if uint64(len(body)) < n+2 || !bytes.Equal(body[n:n+2], []byte("\r\n")) {
			return AnswerSlow
		}
		body = body[n+2:]
	}
}

// Respond writes a ready answer to r (see Fill) to w as Handler would; false when it turns out
// not to be plain, having written nothing: then Finish must write it. keep reports whether the
// connection may carry another request.
func (u *Upstream) Respond(w http.ResponseWriter, r *http.Request) (ok, keep bool) {
	resp, plain := readPlainResponse(u.sc.br, r)
	if !plain {
		return false, false
	}
	if resp.ContentLength < 0 {
		// Chunked, and whole: it goes with its length, as the transport sends it.
		buf := bufPool.Get().(*[]byte)
		defer bufPool.Put(buf)
		n, err := io.ReadFull(resp.Body, *buf)
		if err != io.ErrUnexpectedEOF && err != io.EOF {
			panic(http.ErrAbortHandler) // malformed chunks: as the transport, cut the answer
		}
		resp.Body = io.NopCloser(bytes.NewReader((*buf)[:n]))
		resp.ContentLength, resp.TransferEncoding = int64(n), nil
		resp.Header.Set("Content-Length", strconv.Itoa(n))
	}
	u.lane.p.respond(w, r, resp)
	return true, !resp.Close && u.sc.br.Buffered() == 0
}

// Finish ends, on the calling goroutine, an exchange that Send began: it waits for the app's
// answer and writes it to w as Handler would. The connection leaves the loop for the
// transport's pool (or is closed).
func (u *Upstream) Finish(w http.ResponseWriter, r *http.Request) {
	u.nc.SetDirect(false)
	stop := context.AfterFunc(r.Context(), u.sc.abort)
	resp, err := u.lane.p.transport.receive(r, u.sc, true, stop)
	if err != nil {
		u.sc.c.Close()
		u.lane.p.proxyError(w, r, err)
		return
	}
	u.lane.p.respond(w, r, resp)
}
