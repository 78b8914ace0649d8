package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/registry/entry"
)

// TestRegistryServe starts `hearth registry serve` as a person would, reads
// its well-known document, and stops it as SIGINT does.
func TestRegistryServe(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	t.Setenv("HEARTH_NAME", "apps.test")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errOut bytes.Buffer
	go func() {
		done <- run(ctx, []string{"registry", "serve", "--addr", addr, "--data-dir", dir, "--log-level", "warn",
			"--public-url", "https://apps.test"}, strings.NewReader(""), &out, &errOut)
	}()
	stopped := false
	stop := func() {
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

	var wk map[string]string
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/.well-known/hearth-registry")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&wk)
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("registry serve did not start: %v; stderr: %s", err, errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	signer, err := entry.LoadOrCreateKey(filepath.Join(dir, "registry.key"))
	if err != nil {
		t.Fatal(err)
	}
	if wk["name"] != "apps.test" || wk["url"] != "https://apps.test" || wk["key"] != signer.Fingerprint() {
		t.Errorf("well-known %v, key file %s", wk, signer.Fingerprint())
	}
	stop()
	if !strings.Contains(out.String(), signer.Fingerprint()) {
		t.Errorf("the start message does not give the key: %q", out.String())
	}
	if code, _, errOut := cli(t, "registry", "serve", "--public-url", "ftp://x"); code != 2 || !strings.Contains(errOut, "--public-url") {
		t.Errorf("bad --public-url: %d %q", code, errOut)
	}
	if code, _, _ := cli(t, "registry", "nope"); code != 2 {
		t.Errorf("unknown subcommand: %d", code)
	}
}
