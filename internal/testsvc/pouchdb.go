package testsvc

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// StartPouchDBServer starts pouchdb-server in leveldb mode on a free
// 127.0.0.1 port, storing its databases in dir, and waits until it answers.
// It returns the server's base URL (no trailing slash) and a function that
// kills its whole process group. It is meant for TestMain; tests use
// PouchDBServer.
func StartPouchDBServer(ctx context.Context, dir string) (url string, stop func(), err error) {
	bin, err := nodeBin("pouchdb-server")
	if err != nil {
		return "", nil, err
	}
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--dir", dir)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODE_OPTIONS=--unhandled-rejections=warn")
	svc, err := startService(cmd)
	if err != nil {
		return "", nil, err
	}
	url = fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := svc.waitReady(ctx, httpReady(url+"/")); err != nil {
		svc.stop()
		return "", nil, err
	}
	return url, svc.stop, nil
}

// PouchDBServer starts a pouchdb-server for the test, storing its data in a
// temporary directory, and returns its base URL (no trailing slash). The
// server is killed when the test ends.
func PouchDBServer(t testing.TB) string {
	t.Helper()
	url, stop, err := StartPouchDBServer(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return url
}
