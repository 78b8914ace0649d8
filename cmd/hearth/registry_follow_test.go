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

func TestRegistryFollow(t *testing.T) {
	peer := freeAddr(t)
	peerKey, _, _, _ := startRegistry(t, peer, t.TempDir(), "--allow-private-git")
	other, err := entry.GenerateSigner()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	follow := func(key string, extra ...string) (int, string, string) {
		return cli(t, append([]string{"registry", "follow", "http://" + peer, "--key", key, "--data-dir", dir}, extra...)...)
	}
	if code, _, errOut := follow(other.Fingerprint(), "--allow-private-git"); code != 1 || !strings.Contains(errOut, "pinned") {
		t.Errorf("follow with a key the peer does not publish: %d %q", code, errOut)
	}
	if code, _, errOut := follow(peerKey); code != 1 || !strings.Contains(errOut, "127.0.0.1") {
		t.Errorf("follow of a loopback peer without --allow-private-git: %d %q", code, errOut)
	}
	if code, _, errOut := follow("rsa:nope"); code != 2 || !strings.Contains(errOut, "--key") {
		t.Errorf("follow with a malformed key: %d %q", code, errOut)
	}
	code, out, errOut := follow(peerKey, "--allow-private-git")
	if code != 0 || !strings.Contains(out, "Following "+peer) || !strings.Contains(out, "Mirrored 0 entries") {
		t.Fatalf("follow: %d %q %q", code, out, errOut)
	}
	st, err := openRegistryStore(context.Background(), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	peers, err := st.Peers(context.Background())
	if err != nil || len(peers) != 1 || peers[0].Key != peerKey || peers[0].LastOK.IsZero() {
		t.Errorf("recorded peers: %+v %v", peers, err)
	}
}
