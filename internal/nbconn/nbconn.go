// Package nbconn lets one connection be read and written two ways: through Go's poller, as a
// goroutine does (blocking), or straight on its descriptor without ever waiting, as an event
// loop does. A Conn switches between the two while it lives, so that a connection can move
// between an event loop and a goroutine without being closed or dup'd.
package nbconn

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrWouldBlock is what Read and Write return in direct mode when the connection has nothing
// to read or no room to write now.
var ErrWouldBlock = errors.New("nbconn: would block")

// Conn is a net.Conn with a direct mode. Its descriptor stays Go's: Close closes it.
type Conn struct {
	net.Conn
	fd     int
	direct atomic.Bool
	// Full reports whether the last direct Read filled the buffer it was given, so more may be
	// waiting (an edge-triggered loop must read again before it waits).
	Full bool
}

// New wraps c, which must be a connection with a descriptor (TCP or unix socket).
func New(c net.Conn) (*Conn, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, errors.New("nbconn: the connection has no descriptor")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	if err := rc.Control(func(d uintptr) { fd = int(d) }); err != nil {
		return nil, err
	}
	return &Conn{Conn: c, fd: fd}, nil
}

// Fd is the connection's descriptor, valid until Close.
func (c *Conn) Fd() int { return c.fd }

// SetDirect switches direct mode on or off. The caller makes sure no other goroutine reads
// or writes the connection meanwhile.
func (c *Conn) SetDirect(on bool) { c.direct.Store(on) }

// Direct reports whether the connection is in direct mode.
func (c *Conn) Direct() bool { return c.direct.Load() }

// Read reads what has arrived. In direct mode it never waits: ErrWouldBlock when nothing has,
// io.EOF when the peer closed its side.
func (c *Conn) Read(p []byte) (int, error) {
	if !c.direct.Load() {
		return c.Conn.Read(p)
	}
	for {
		n, err := rawIO(unix.SYS_READ, c.fd, p)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			c.Full = false
			return 0, ErrWouldBlock
		case err != nil:
			c.Full = false
			return 0, &net.OpError{Op: "read", Net: c.LocalAddr().Network(), Err: err}
		case n == 0 && len(p) > 0:
			c.Full = false
			return 0, io.EOF
		}
		c.Full = n == len(p)
		return n, nil
	}
}

// Write writes p. In direct mode it never waits: it writes what the socket takes and returns
// ErrWouldBlock with the count written when it takes less.
func (c *Conn) Write(p []byte) (int, error) {
	if !c.direct.Load() {
		return c.Conn.Write(p)
	}
	done := 0
	for done < len(p) {
		n, err := rawIO(unix.SYS_WRITE, c.fd, p[done:])
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return done, ErrWouldBlock
		case err != nil:
			return done, &net.OpError{Op: "write", Net: c.LocalAddr().Network(), Err: err}
		}
		done += n
	}
	return done, nil
}

// rawIO reads or writes (trap) p on fd without telling Go's scheduler: the descriptor never
// blocks, so the call is as short as any, and entering and leaving a scheduler-visible syscall
// (which may hand the thread's P to another thread meanwhile) would cost more than it does.
func rawIO(trap uintptr, fd int, p []byte) (int, error) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	n, _, errno := unix.RawSyscall(trap, uintptr(fd), uintptr(ptr), uintptr(len(p)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
