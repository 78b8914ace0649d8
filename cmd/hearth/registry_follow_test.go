package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/internal/testsvc"
	"github.com/hearth-cloud/hearth/registry/entry"
)

// startRegistry runs `hearth registry serve` on addr ("" for a free port) with dir as its data directory
// until the test ends (or stop is called); it returns the address, the key and stop, which
// fails the test unless the registry exits 0 within 15 s.
func startRegistry(t *testing.T, addr, dir string, extra ...string) (key string, stdout, stderr *testsvc.LockedBuffer, stop func()) {
	t.Helper()
	if addr == "" {
		addr = freeAddr(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	out, errOut := &testsvc.LockedBuffer{}, &testsvc.LockedBuffer{}
	args := append([]string{"registry", "serve", "--addr", addr, "--data-dir", dir, "--log-level", "warn"}, extra...)
	go func() { done <- run(ctx, args, strings.NewReader(""), out, errOut) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("registry serve exited %d: %s", code, errOut.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("registry serve did not stop within 15 s of its context ending")
		}
	}
	t.Cleanup(stop)
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err := http.Get("http://" + addr + "/.well-known/hearth-registry")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("registry serve did not start: %v; stderr: %s", err, errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	signer, err := entry.LoadOrCreateKey(filepath.Join(dir, registryKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return signer.Fingerprint(), out, errOut, stop
}
