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
// Respond, End). Anything else (an app to start, an answer that is not whole and plain, an
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

	// The exchange in progress: its request, and the head of the answer once it came whole
	// and plain (headLen bytes in sc.br).
	req     *http.Request
	resp    *http.Response
	chunked bool
	headLen int
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
	u.req, u.resp = r, nil
	return u.sc.bw.Flush()
}

// Answer is how far the app's answer has come.
type Answer int

const (
	AnswerPending Answer = iota // not whole yet: wait for the connection to be readable
	AnswerReady                 // whole and plain: Respond writes it without waiting
	AnswerSlow                  // its head came, not all its body (a stream?), or it is not plain: Finish, on a goroutine
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

// answer looks at the buffered answer: whether its head came, is plain (readPlainResponse's
// rules), and came with its whole body (of a Content-Length, or chunked).
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
	resp, chunked, ok := parsePlainHead(string(buf[:end+2]), u.req)
	if !ok {
		return AnswerSlow // Finish reads it as http.ReadResponse does
	}
	// As the transport, the loop never waits for a body that has not come with its head:
	// what comes later may be a stream, which a goroutine sends on as it comes.
	body := buf[end+4:]
	if chunked && chunksCame(body) != AnswerReady || !chunked && int64(len(body)) < resp.ContentLength {
		return AnswerSlow
	}
	u.resp, u.chunked, u.headLen = resp, chunked, end+4
	return AnswerReady
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

// Respond writes a ready answer (see Fill) to w as Handler would. keep reports whether the
// connection may carry another request.
func (u *Upstream) Respond(w http.ResponseWriter, r *http.Request) (keep bool) {
	resp, br := u.resp, u.sc.br
	u.resp = nil
	_, _ = br.Discard(u.headLen)
	plainBody(resp, br, u.chunked)
	if u.chunked {
		// Whole: it goes with its length, as the transport sends it.
		buf := bufPool.Get().(*[]byte)
		defer bufPool.Put(buf)
		n, whole, _ := readArrived(resp.Body, br, *buf)
		if !whole {
			panic(http.ErrAbortHandler) // malformed chunks: as the transport, cut the answer
		}
		resp.Body = io.NopCloser(bytes.NewReader((*buf)[:n]))
		setLength(resp, n)
	}
	u.lane.p.respond(w, r, resp)
	return !resp.Close && br.Buffered() == 0
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
