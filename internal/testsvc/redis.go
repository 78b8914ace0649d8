package testsvc

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"testing"
	"time"
)

// StartRedis starts redis-server without persistence on a free 127.0.0.1
// port and waits until it answers PING. It returns the URL
// redis://127.0.0.1:P/0 and a function that kills the server.
func StartRedis(ctx context.Context) (url string, stop func(), err error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", nil, fmt.Errorf("%w: redis-server: %w", ErrMissing, err)
	}
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	svc, err := startService(cmd)
	if err != nil {
		return "", nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := svc.waitReady(ctx, redisReady(addr)); err != nil {
		svc.stop()
		return "", nil, err
	}
	return "redis://" + addr + "/0", svc.stop, nil
}

// Redis starts a redis-server for the test and returns its URL,
// redis://127.0.0.1:P/0. The server is killed when the test ends.
func Redis(t testing.TB) string {
	t.Helper()
	url, stop, err := StartRedis(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return url
}

// redisReady returns a readiness check sending PING over the wire protocol.
func redisReady(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err := conn.Write([]byte("PING\r\n")); err != nil {
			return err
		}
		buf := make([]byte, 7)
		n, err := conn.Read(buf)
		if err != nil {
			return err
		}
		if string(buf[:n]) != "+PONG\r\n" {
			return fmt.Errorf("redis PING answered %q", buf[:n])
		}
		return nil
	}
}
