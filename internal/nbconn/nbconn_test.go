package nbconn_test

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/internal/nbconn"
)

// pair returns the two ends of a TCP connection on loopback, the first wrapped.
func pair(t *testing.T) (*nbconn.Conn, net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer := <-accepted
	if peer == nil {
		t.Fatal("accept failed")
	}
	nc, err := nbconn.New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close(); peer.Close() })
	return nc, peer
}

func TestDirectReadsNeverWait(t *testing.T) {
	nc, peer := pair(t)
	nc.SetDirect(true)
	buf := make([]byte, 4)
	if n, err := nc.Read(buf); n != 0 || !errors.Is(err, nbconn.ErrWouldBlock) {
		t.Fatalf("nothing sent: %d %v, want ErrWouldBlock", n, err)
	}
	if _, err := peer.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	var n int
	var err error
	for n, err = nc.Read(buf); errors.Is(err, nbconn.ErrWouldBlock) && time.Now().Before(deadline); n, err = nc.Read(buf) {
		time.Sleep(time.Millisecond)
	}
	if err != nil || string(buf[:n]) != "hell" || !nc.Full {
		t.Fatalf("%q %v full=%v, want \"hell\", full", buf[:n], err, nc.Full)
	}
	if n, err := nc.Read(buf); err != nil || string(buf[:n]) != "o" || nc.Full {
		t.Fatalf("%q %v full=%v, want \"o\", not full", buf[:n], err, nc.Full)
	}
	peer.Close()
	for n, err = nc.Read(buf); errors.Is(err, nbconn.ErrWouldBlock) && time.Now().Before(deadline); n, err = nc.Read(buf) {
		time.Sleep(time.Millisecond)
	}
	if n != 0 || err != io.EOF {
		t.Fatalf("after the peer closed: %d %v, want EOF", n, err)
	}
}

func TestDirectWritesStopAtAFullSocket(t *testing.T) {
	nc, peer := pair(t)
	nc.SetDirect(true)
	chunk := make([]byte, 1<<20)
	total := 0
	for {
		n, err := nc.Write(chunk)
		total += n
		if errors.Is(err, nbconn.ErrWouldBlock) {
			break
		}
		if err != nil || n != len(chunk) {
			t.Fatalf("%d %v", n, err)
		}
		if total > 1<<30 {
			t.Fatal("a socket nobody reads took 1 GB")
		}
	}
	// Back in blocking mode, a write waits for the reader.
	nc.SetDirect(false)
	done := make(chan error, 1)
	go func() {
		_, err := nc.Write([]byte("end"))
		done <- err
	}()
	got, err := io.ReadAll(io.LimitReader(peer, int64(total+3)))
	if err != nil || len(got) != total+3 || string(got[total:]) != "end" {
		t.Fatalf("read %d bytes (%v), want %d ending in \"end\"", len(got), err, total+3)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
