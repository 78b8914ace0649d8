package runtime

import (
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/hearth-cloud/hearth/instance/apps/controller"
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
	leftAt   time.Time     // when the client closed its side during an exchange; zero: not
}

// loopUp is a connection of the loop to an app.
type loopUp struct {
	u     *controller.Upstream
	id    int32
	c     *appConn  // the connection it answers; nil: idle
	since time.Time // idle since
}

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
		ups: map[int32]*loopUp{}, idle: map[*controller.Lane][]*loopUp{}}
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
		// A wait of no time: a raw call, which Go's scheduler need not see (as nbconn's).
		r, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(rx.epfd), uintptr(unsafe.Pointer(&rx.events[0])),
			uintptr(len(rx.events)), 0, 0, 0)
		n = int(r)
		if errno != 0 && errno != unix.EINTR {
			n, werr = 0, os.NewSyscallError("epoll_pwait", errno)
		} else if errno != 0 {
			n = 0
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

// sweep closes the connections that waited too long for a request or whose client left
// during a long one, and the idle connections to apps that are about to time out on the
// app's side.
func (rx *reactor) sweep() {
	for _, c := range rx.clients {
		switch {
		case c.loop.up == nil && c.idleTimeout > 0 && rx.now.Sub(c.loop.last) >= c.idleTimeout:
			rx.drop(c)
		case c.loop.up != nil && !c.loop.leftAt.IsZero() && rx.now.Sub(c.loop.last) >= watchAfter:
			rx.abort(c) // its client left, and it ran longer than a goroutine waits to see that
		}
	}
	for lane, idle := range rx.idle {
		for len(idle) > 0 && rx.now.Sub(idle[0].since) >= controller.IdleTTL {
			rx.closeUp(idle[0])
			idle = rx.idle[lane]
		}
	}
}
