package runtime

import (
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hearth-cloud/hearth/instance/apps/controller"
	"github.com/hearth-cloud/hearth/internal/nbconn"
)

// A goroutine per taken-over connection parks and wakes twice for each request: for the
// client's next request, and for the app's answer. On a small machine that scheduling costs
// more than the proxying. So between requests, a taken-over connection whose last request went
// to a node app through its gate (see nodeRoute) goes to one event loop, the reactor: it waits
// on all of them and on their apps' connections with a poller of its own (epoll, itself waited
// on through Go's poller), and serves a plain GET down the route's lane itself: it parses the
// head, sends it to the app and writes the app's whole answer, with no goroutine switch, many
// per wake-up. Anything else goes back to a goroutine, where appConn.serve handles it as
// before: a request the route does not hold for (it then goes through the handler), an app
// that must start, an answer too long or of unknown length (a stream), a head in parts, an
// answer the client does not take at once. The goroutine gives the connection back to the
// loop once it waits for its next request again.

// loopState is what the reactor keeps of a connection it has.
type loopState struct {
	id       int32         // the connection's registration in the loop's poller; 0: none
	up       *loopUp       // the exchange in progress; nil: waiting for a request
	req      *http.Request // the request of the exchange
	cookie   []string      // its Cookie lines, before the lane's
	readable bool          // the client sent more during the exchange
	last     time.Time     // when the connection last began a request
}

// loopUp is a connection of the loop to an app.
type loopUp struct {
	u     *controller.Upstream
	id    int32
	c     *appConn  // the connection it answers; nil: idle
	since time.Time // idle since
	used  bool      // it carried an exchange before this one
}

// upIdleTTL is how long the loop keeps an idle connection to an app: less than Node's default
// keep-alive timeout, as the transport's.
const upIdleTTL = 4 * time.Second

// reactor is the event loop. Only its goroutine touches its fields but mu's.
type reactor struct {
	cs      *appConns
	rt      *Runtime
	epfd    int
	file    *os.File // epfd, waited on through Go's poller
	rc      syscall.RawConn
	wakeFd  int // eventfd: connections to adopt, shutdown
	tickFd  int // timerfd: once a second, for the idle sweeps
	events  [128]unix.EpollEvent
	nextID  int32
	clients map[int32]*appConn
	ups     map[int32]*loopUp
	idle    map[*controller.Lane][]*loopUp // most recently used last
	now     time.Time
	closing bool // the loop saw shutdown: it ends with its last connection

	mu     sync.Mutex
	queue  []*appConn // guarded by mu: connections to adopt
	closed bool       // guarded by mu: shutdown began
	done   chan struct{}
}

const (
	wakeID int32 = -1
	tickID int32 = -2
)

// newReactor starts the loop of cs.
func newReactor(rt *Runtime, cs *appConns) (*reactor, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	rx := &reactor{cs: cs, rt: rt, epfd: epfd, wakeFd: -1, tickFd: -1, clients: map[int32]*appConn{},
		ups: map[int32]*loopUp{}, idle: map[*controller.Lane][]*loopUp{}, done: make(chan struct{})}
	if err := rx.open(); err != nil {
		rx.closeFds()
		return nil, err
	}
	go rx.run()
	return rx, nil
}

func (rx *reactor) open() error {
	if err := unix.SetNonblock(rx.epfd, true); err != nil {
		return os.NewSyscallError("fcntl", err)
	}
	var err error
	if rx.wakeFd, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		return os.NewSyscallError("eventfd", err)
	}
	if rx.tickFd, err = unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC); err != nil {
		return os.NewSyscallError("timerfd_create", err)
	}
	second := unix.NsecToTimespec(int64(time.Second))
	if err := unix.TimerfdSettime(rx.tickFd, 0, &unix.ItimerSpec{Interval: second, Value: second}, nil); err != nil {
		return os.NewSyscallError("timerfd_settime", err)
	}
	for id, fd := range map[int32]int{wakeID: rx.wakeFd, tickID: rx.tickFd} {
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Fd: id}
		if err := unix.EpollCtl(rx.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			return os.NewSyscallError("epoll_ctl", err)
		}
	}
	rx.file = os.NewFile(uintptr(rx.epfd), "reactor")
	rc, err := rx.file.SyscallConn()
	if err != nil {
		return err
	}
	rx.rc = rc
	return nil
}

func (rx *reactor) closeFds() {
	for _, fd := range []int{rx.wakeFd, rx.tickFd} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	if rx.file != nil {
		rx.file.Close()
	} else {
		unix.Close(rx.epfd)
	}
}

// adopt takes c, which waits for its next request, into the loop; false when the loop is
// closing (or there is none).
func (rx *reactor) adopt(c *appConn) bool {
	if rx == nil {
		return false
	}
	rx.mu.Lock()
	if rx.closed {
		rx.mu.Unlock()
		return false
	}
	rx.queue = append(rx.queue, c)
	first := len(rx.queue) == 1
	rx.mu.Unlock()
	if first {
		rx.wake()
	}
	return true
}

func (rx *reactor) wake() {
	one := [8]byte{1}
	_, _ = unix.Write(rx.wakeFd, one[:])
}

// shutdown closes the connections waiting for a request, lets the others finish theirs, and
// ends the loop once it has none.
func (rx *reactor) shutdown() {
	if rx == nil {
		return
	}
	rx.mu.Lock()
	rx.closed = true
	rx.mu.Unlock()
	rx.wake()
}

func (rx *reactor) run() {
	defer close(rx.done)
	defer rx.closeFds()
	for {
		n, err := rx.wait()
		if err != nil {
			rx.rt.log.Error("runtime: the connection loop stops", "err", err)
			rx.stop()
			return
		}
		rx.now = time.Now()
		for _, ev := range rx.events[:n] {
			switch id := ev.Fd; id {
			case wakeID:
				rx.adoptQueued()
			case tickID:
				var b [8]byte
				_, _ = unix.Read(rx.tickFd, b[:])
				rx.sweep()
			default:
				if c := rx.clients[id]; c != nil {
					rx.onClient(c, ev.Events)
				} else if up := rx.ups[id]; up != nil {
					rx.onUp(up, ev.Events)
				}
			}
		}
		if rx.closing && len(rx.clients) == 0 {
			rx.stop()
			return
		}
	}
}

// wait returns the next batch of events, waiting for one through Go's poller.
func (rx *reactor) wait() (int, error) {
	var n int
	var werr error
	err := rx.rc.Read(func(uintptr) bool {
		n, werr = unix.EpollWait(rx.epfd, rx.events[:], 0)
		if werr == unix.EINTR {
			n, werr = 0, nil
		}
		return n > 0 || werr != nil
	})
	if err == nil {
		err = werr
	}
	return n, err
}

// adoptQueued registers the queued connections; once shutdown began, it ends them and the
// connections waiting for a request instead.
func (rx *reactor) adoptQueued() {
	var b [8]byte
	_, _ = unix.Read(rx.wakeFd, b[:])
	rx.mu.Lock()
	queue := rx.queue
	rx.queue = nil
	rx.closing = rx.closed
	rx.mu.Unlock()
	for _, c := range queue {
		if rx.closing || !rx.register(c) {
			c.end()
		}
	}
	if rx.closing {
		for _, c := range rx.clients {
			if c.loop.up == nil {
				rx.drop(c)
			}
		}
	}
}

// register adds c to the poller; it then serves what c sends.
func (rx *reactor) register(c *appConn) bool {
	c.conn.SetDirect(true)
	id := rx.id()
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLET, Fd: id}
	if err := unix.EpollCtl(rx.epfd, unix.EPOLL_CTL_ADD, c.conn.Fd(), &ev); err != nil {
		c.conn.SetDirect(false)
		return false
	}
	c.loop = loopState{id: id, last: rx.now}
	rx.clients[id] = c
	return true
}

func (rx *reactor) id() int32 {
	for {
		rx.nextID++
		if rx.nextID <= 0 {
			rx.nextID = 1
		}
		if rx.clients[rx.nextID] == nil && rx.ups[rx.nextID] == nil {
			return rx.nextID
		}
	}
}

// unregister takes c out of the loop, for a goroutine or for good.
func (rx *reactor) unregister(c *appConn) {
	_ = unix.EpollCtl(rx.epfd, unix.EPOLL_CTL_DEL, c.conn.Fd(), nil)
	delete(rx.clients, c.loop.id)
	c.loop.id = 0
	c.conn.SetDirect(false)
}

// drop ends c.
func (rx *reactor) drop(c *appConn) {
	rx.unregister(c)
	c.end()
}

// release gives c to a goroutine, which serves req with h (nothing when req is nil) and goes
// on as appConn.serve does.
func (rx *reactor) release(c *appConn, req *http.Request, h http.Handler) {
	rx.unregister(c)
	c.loop = loopState{}
	go c.serve(req, h)
}

// stop ends every connection: the loop ends.
func (rx *reactor) stop() {
	rx.mu.Lock()
	rx.closed = true
	queue := rx.queue
	rx.queue = nil
	rx.mu.Unlock()
	for _, c := range queue {
		c.end()
	}
	for _, c := range rx.clients {
		if up := c.loop.up; up != nil {
			rx.closeUp(up)
			rx.exchangeEnds(c)
		}
		rx.drop(c)
	}
	for _, up := range rx.ups {
		rx.closeUp(up)
	}
}

// sweep closes the connections that waited too long for a request, and the idle connections
// to apps that are about to time out on the app's side.
func (rx *reactor) sweep() {
	for _, c := range rx.clients {
		if c.loop.up == nil && c.idleTimeout > 0 && rx.now.Sub(c.loop.last) >= c.idleTimeout {
			rx.drop(c)
		}
	}
	for lane, idle := range rx.idle {
		for len(idle) > 0 && rx.now.Sub(idle[0].since) >= upIdleTTL {
			rx.closeUp(idle[0])
			idle = rx.idle[lane]
		}
	}
}

func (rx *reactor) onClient(c *appConn, events uint32) {
	if c.loop.up != nil {
		if events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			rx.abort(c) // the client left: so does the request, as with a goroutine
			return
		}
		c.loop.readable = true
		return
	}
	if events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		rx.drop(c)
		return
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
	if req.Method != http.MethodGet || !c.route.holds(rx.rt, req, rx.now) {
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
		if up.u.Run() == run && rx.now.Sub(up.since) < upIdleTTL {
			up.used = true
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
	var written, keep bool
	ran := c.run(w, req, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		written, keep = up.u.Respond(w, r)
	}))
	if ran && !written {
		rx.finishElsewhere(c, up)
		return
	}
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
		c.loop.readable = false
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
	req, ok := parsePlainRequest(buf[:end], c.base)
	if !ok || !strings.EqualFold(req.Host, c.host) {
		return nil, stepOther
	}
	_, _ = c.br.Discard(end)
	req.RemoteAddr = c.remote
	return req, stepRequest
}
