package runtime

import (
	"bufio"
	"net"
	"sync"
)

// A taken-over connection that carries a request it does not serve goes back to net/http:
// handBack pushes it, the request still unread, to the listener of a second http.Server.

// handBack gives the connection, its unread bytes first, back to net/http.
func (c *appConn) handBack() {
	c.cs.handed.Add(1) // before net/http answers the client, who may look
	if c.handed = c.cs.back.push(&handedConn{Conn: c.conn, r: c.br}); !c.handed {
		c.cs.handed.Add(-1)
	}
}

// handedConn is a connection handed back to net/http: what was read ahead is read first.
type handedConn struct {
	net.Conn
	r *bufio.Reader
}

func (h *handedConn) Read(p []byte) (int, error) {
	if h.r.Buffered() > 0 {
		return h.r.Read(p)
	}
	return h.Conn.Read(p)
}

// handBackListener is the listener of the http.Server that serves handed-back connections.
type handBackListener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newHandBackListener(addr net.Addr) *handBackListener {
	return &handBackListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *handBackListener) push(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *handBackListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handBackListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handBackListener) Addr() net.Addr { return l.addr }
