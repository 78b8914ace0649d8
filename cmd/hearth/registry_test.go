package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestRegistryServe starts `hearth registry serve` as a person would, reads
// its well-known document, and stops it as SIGINT does.
func TestRegistryServe(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	t.Setenv("HEARTH_NAME", "apps.test")
	key, out, _, stop := startRegistry(t, addr, dir, "--public-url", "https://apps.test")
	var wk map[string]string
	resp, err := http.Get("http://" + addr + "/.well-known/hearth-registry")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&wk)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if wk["name"] != "apps.test" || wk["url"] != "https://apps.test" || wk["key"] != key {
		t.Errorf("well-known %v, key file %s", wk, key)
	}
	stop()
	if !strings.Contains(out.String(), key) {
		t.Errorf("the start message does not give the key: %q", out.String())
	}
	if code, _, errOut := cli(t, "registry", "serve", "--public-url", "ftp://x"); code != 2 || !strings.Contains(errOut, "--public-url") {
		t.Errorf("bad --public-url: %d %q", code, errOut)
	}
	if code, _, _ := cli(t, "registry", "nope"); code != 2 {
		t.Errorf("unknown subcommand: %d", code)
	}
}
