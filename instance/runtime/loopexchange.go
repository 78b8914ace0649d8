package runtime

import (
	"errors"
	"net/http"
	"os"

	"golang.org/x/sys/unix"

	"github.com/hearth-cloud/hearth/instance/apps/controller"
	"github.com/hearth-cloud/hearth/internal/nbconn"
)

// The reactor's side of a request: a connection's next request read without waiting, sent
// down its route's lane, and the app's answer written back (see reactor).

func (rx *reactor) onClient(c *appConn, events uint32) {
	if c.loop.up != nil {
		c.loop.readable = true
		switch {
		case events&(unix.EPOLLHUP|unix.EPOLLERR) != 0:
			rx.abort(c) // the client is gone: so is the request, as with a goroutine
		case events&unix.EPOLLRDHUP != 0:
			// The client sent all it will, and may still read: as on a goroutine, whose
			// request is watched after watchAfter, an answer that comes before goes out; a
			// longer request ends (the sweep ends it if it is not that old yet).
			c.loop.leftAt = rx.now
			if rx.now.Sub(c.loop.last) >= watchAfter {
				rx.abort(c)
			}
		}
		return
	}
	switch {
	case events&(unix.EPOLLHUP|unix.EPOLLERR) != 0:
		rx.drop(c)
		return
	case events&unix.EPOLLRDHUP != 0:
		// The client sent all it will: what it sent is answered, then the end is read.
		c.loop.readable = true
	}
	rx.serveNext(c)
}

// abort ends c in the middle of an exchange.
func (rx *reactor) abort(c *appConn) {
	rx.closeUp(c.loop.up)
	rx.exchangeEnds(c)
	rx.drop(c)
}

// serveNext serves c's requests that have come, until one waits for its app's answer.
func (rx *reactor) serveNext(c *appConn) {
	for c.loop.up == nil && c.loop.id != 0 {
		req, step := c.nextNow()
		switch step {
		case stepWait:
			c.loop.readable = false
			return
		case stepEnd:
			rx.drop(c)
			return
		case stepOther:
			rx.release(c, nil, nil)
			return
		}
		if rx.closing {
			rx.drop(c)
			return
		}
		c.loop.last = rx.now
		rx.send(c, req)
	}
}

// send sends req down c's route, or gives it to a goroutine when it may not go.
func (rx *reactor) send(c *appConn, req *http.Request) {
	if req.Method != http.MethodGet || runtimeOwns(req.URL.Path) || !c.route.holds(rx.rt, req, rx.now) {
		rx.release(c, req, c.handler)
		return
	}
	lane := c.route.lane
	run, ok := lane.Begin()
	if !ok {
		rx.release(c, req, c.handler)
		return
	}
	cookie := req.Header["Cookie"]
	if c.route.stripped == nil {
		delete(req.Header, "Cookie")
	} else {
		req.Header["Cookie"] = c.route.stripped
	}
	up, err := rx.upstream(lane, run)
	if err == nil {
		if err = up.u.Send(req); err != nil {
			rx.closeUp(up)
		}
	}
	if err != nil {
		lane.End()
		req.Header["Cookie"] = cookie
		rx.release(c, req, c.handler) // which tries again, or tells the owner what failed
		return
	}
	up.c = c
	c.loop.up, c.loop.req, c.loop.cookie = up, req, cookie
	rx.cs.exchanges.Add(1)
}

// exchangeEnds ends the exchange of c, whose connection to the app goes.
func (rx *reactor) exchangeEnds(c *appConn) {
	c.loop.up.u.Lane().End()
	c.loop.up, c.loop.req, c.loop.cookie = nil, nil, nil
	rx.cs.exchanges.Add(-1)
}

// upstream returns an idle connection to the app of run, or a new one.
func (rx *reactor) upstream(lane *controller.Lane, run controller.Run) (*loopUp, error) {
	idle := rx.idle[lane]
	for n := len(idle); n > 0; n = len(idle) {
		up := idle[n-1]
		rx.idle[lane] = idle[:n-1]
		if up.u.Run() == run && rx.now.Sub(up.since) < controller.IdleTTL {
			return up, nil
		}
		rx.closeUp(up)
		idle = rx.idle[lane]
	}
	u, err := lane.Dial(run)
	if err != nil {
		return nil, err
	}
	up := &loopUp{u: u, id: rx.id()}
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLET, Fd: up.id}
	if err := unix.EpollCtl(rx.epfd, unix.EPOLL_CTL_ADD, u.Fd(), &ev); err != nil {
		u.Close()
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	rx.ups[up.id] = up
	return up, nil
}

// closeUp closes a connection to an app, wherever it is.
func (rx *reactor) closeUp(up *loopUp) {
	if rx.ups[up.id] != up {
		return
	}
	rx.forgetUp(up)
	up.u.Close()
}

// forgetUp takes up out of the loop: its poller, its map, its lane's idle list.
func (rx *reactor) forgetUp(up *loopUp) {
	_ = unix.EpollCtl(rx.epfd, unix.EPOLL_CTL_DEL, up.u.Fd(), nil)
	delete(rx.ups, up.id)
	lane := up.u.Lane()
	if idle := rx.idle[lane]; len(idle) > 0 {
		for i, u := range idle {
			if u == up {
				rx.idle[lane] = append(idle[:i], idle[i+1:]...)
				break
			}
		}
		if len(rx.idle[lane]) == 0 {
			delete(rx.idle, lane)
		}
	}
}

// onUp reads what an app sent.
func (rx *reactor) onUp(up *loopUp, events uint32) {
	c := up.c
	if c == nil {
		rx.closeUp(up) // idle: the app closed it, or sent what nobody asked for
		return
	}
	answer, got, err := up.u.Fill()
	switch {
	case err != nil:
		rx.closeUp(up)
		req, cookie := c.loop.req, c.loop.cookie
		rx.exchangeEnds(c)
		if got {
			rx.drop(c) // as a goroutine does with an answer cut short
			return
		}
		// Nothing came (a kept connection the app had closed, an app that died): the request
		// goes through the handler, which sends it again or tells the owner why it cannot.
		req.Header["Cookie"] = cookie
		rx.release(c, req, c.handler)
	case answer == controller.AnswerPending:
		if events&(unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			rx.abort(c)
		}
	case answer == controller.AnswerReady:
		rx.respond(c, up)
	default:
		rx.finishElsewhere(c, up)
	}
}

// finishElsewhere gives an exchange whose answer the loop does not write to a goroutine.
func (rx *reactor) finishElsewhere(c *appConn, up *loopUp) {
	rx.forgetUp(up)
	req := c.loop.req
	c.loop.up, c.loop.req, c.loop.cookie = nil, nil, nil
	rx.cs.exchanges.Add(-1) // it goes on, elsewhere
	rx.release(c, req, finishing{up.u})
}

// finishing is the handler that ends an exchange the loop began.
type finishing struct{ u *controller.Upstream }

func (f finishing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer f.u.Lane().End()
	f.u.Finish(w, r)
}

// respond writes the app's whole answer to c.
func (rx *reactor) respond(c *appConn, up *loopUp) {
	req := c.loop.req
	w := c.writer(req)
	var keep bool
	ran := c.run(w, req, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keep = up.u.Respond(w, r)
	}))
	rx.exchangeEnds(c)
	if keep && ran {
		up.c, up.since = nil, rx.now
		rx.idle[up.u.Lane()] = append(rx.idle[up.u.Lane()], up)
	} else {
		rx.closeUp(up)
	}
	if ran {
		rx.cs.served.Add(1)
		rx.cs.looped.Add(1)
	}
	if !ran || !w.finish() || w.closeAfter && len(c.pending) == 0 {
		rx.drop(c)
		return
	}
	if len(c.pending) > 0 {
		rx.cs.spilled.Add(1)
		rx.release(c, nil, nil) // it writes what the client did not take yet, then serves on
		return
	}
	if rx.closing {
		rx.drop(c)
		return
	}
	if c.loop.readable || c.conn.Full || c.br.Buffered() > 0 {
		rx.serveNext(c)
	}
}

// step is what nextNow found.
type step int

const (
	stepRequest step = iota // a plain request for the connection's origin
	stepWait                // nothing yet
	stepEnd                 // the client left or the connection broke
	stepOther               // something a goroutine must read (a head in parts, not plain)
)

// nextNow reads the connection's next request if it has come whole, without waiting.
func (c *appConn) nextNow() (*http.Request, step) {
	if c.br.Buffered() == 0 {
		if _, err := c.br.Peek(1); err != nil {
			if errors.Is(err, nbconn.ErrWouldBlock) {
				return nil, stepWait
			}
			return nil, stepEnd
		}
	}
	buf, _ := c.br.Peek(c.br.Buffered())
	end := headEnd(buf)
	for end == 0 && c.conn.Full && len(buf) < maxFastHead {
		if _, err := c.br.Peek(len(buf) + 1); err != nil {
			break
		}
		buf, _ = c.br.Peek(c.br.Buffered())
		end = headEnd(buf)
	}
	if end <= 0 {
		return nil, stepOther
	}
	if req := c.takeHead(buf[:end]); req != nil {
		return req, stepRequest
	}
	return nil, stepOther
}
