package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRegistrySamples runs a registry with the test apps as samples, as `make run` does, and
// starts it again on the same data directory: the samples are published once.
func TestRegistrySamples(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := cli(t, "registry", "serve", "--data-dir", dir, "--samples", "../../testdata/apps"); code != 2 || !strings.Contains(errOut, "--allow-private-git") {
		t.Errorf("--samples without --allow-private-git: %d %q", code, errOut)
	}
	code, keyOut, _ := cli(t, "registry", "key", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("registry key: %d", code)
	}
	addr := freeAddr(t) // the samples' Git URLs name it: the second start keeps it
	for round := range 2 {
		key, out, errOut, stop := startRegistry(t, addr, dir, "--samples", "../../testdata/apps", "--allow-private-git")
		if key != strings.TrimSpace(keyOut) {
			t.Errorf("registry key printed %q, the registry uses %q", keyOut, key)
		}
		var list struct {
			Apps []struct {
				Slug, Source string
				Latest       struct{ Stable string }
			}
		}
		for deadline := time.Now().Add(90 * time.Second); !strings.Contains(out.String(), "Sample apps:"); {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: the samples were not published: %q %q", round, out.String(), errOut.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		resp, err := http.Get("http://" + addr + "/api/v1/apps")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range list.Apps {
			got = append(got, a.Slug+"@"+a.Latest.Stable)
			if !strings.HasPrefix(a.Source, "http://"+addr+"/samples/") {
				t.Errorf("round %d: %s comes from %s", round, a.Slug, a.Source)
			}
		}
		if strings.Join(got, " ") != "hello@1.0.0 notes@1.0.0" {
			t.Errorf("round %d: apps %v", round, got)
		}
		stop()
	}
}
