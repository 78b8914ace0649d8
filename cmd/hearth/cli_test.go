package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// serveInProcess runs `hearth serve` through run() until the test ends, as a person would
// start it, and stops it as SIGINT does (by canceling its context).
func serveInProcess(t *testing.T, dataDir string) (pub, adm string) {
	t.Helper()
	pub, adm = freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errOut bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve", "--addr", pub, "--admin-addr", adm, "--data-dir", dataDir, "--log-level", "warn", "--allow-private-git"}, strings.NewReader(""), &out, &errOut)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d: %s", code, errOut.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop within 15 s of its context ending")
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + adm + "/health")
		if err == nil {
			resp.Body.Close()
			return pub, adm
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %v; stderr: %s", err, errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &o, &e)
	return code, o.String(), e.String()
}

func TestInstancesCLI(t *testing.T) {
	dir := t.TempDir()
	pub, adm := serveInProcess(t, dir)
	common := []string{"--admin-url", "http://" + adm, "--data-dir", dir}
	with := func(sub string, rest ...string) []string {
		return append(append([]string{"instances", sub}, common...), rest...)
	}
	domain := "cli.test:" + strings.Split(pub, ":")[1]

	if code, out, errOut := cli(t, with("add", domain)...); code != 0 || !strings.Contains(out, "added "+domain) {
		t.Fatalf("add: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := cli(t, with("add", domain)...); code != 1 || !strings.Contains(errOut, "already exists") {
		t.Errorf("add twice: %d %q", code, errOut)
	}
	if code, _, errOut := cli(t, with("add", "not a domain!")...); code != 1 || !strings.Contains(errOut, "invalid domain") {
		t.Errorf("add bad domain: %d %q", code, errOut)
	}
	if code, out, _ := cli(t, with("ls")...); code != 0 || !strings.Contains(out, domain) || !strings.Contains(out, "active") {
		t.Errorf("ls: %d %q", code, out)
	}
	if code, out, _ := cli(t, with("show", domain)...); code != 0 || !strings.Contains(out, "state:   active") {
		t.Errorf("show: %d %q", code, out)
	}
	code, tok, errOut := cli(t, with("token", domain, "io.hearth.notes:GET,PUT")...)
	if code != 0 || strings.Count(tok, "\n") != 1 || strings.Contains(tok, " ") {
		t.Fatalf("token: %d %q %q", code, tok, errOut)
	}
	if code, _, errOut := cli(t, with("token", domain, "Bad.Scope")...); code != 1 || !strings.Contains(errOut, "not a doctype") {
		t.Errorf("token with a bad scope: %d %q", code, errOut)
	}
	if code, _, _ := cli(t, with("token", domain)...); code != 2 {
		t.Errorf("token without scope: exit %d, want 2", code)
	}

	// The token works on the instance, with the verbs it grants and no others.
	req, _ := http.NewRequest("PUT", "http://"+pub+"/data/io.hearth.notes/hello", strings.NewReader(`{"a":1}`))
	req.Host = domain
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(tok))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Errorf("PUT with the CLI token: %d", resp.StatusCode)
	}

	if code, _, _ := cli(t, with("block", domain)...); code != 0 {
		t.Errorf("block: %d", code)
	}
	req.Body = http.NoBody
	req.Method = "GET"
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 403 {
		t.Errorf("GET on a blocked instance: %v %v", resp.StatusCode, err)
	}
	if code, _, _ := cli(t, with("unblock", domain)...); code != 0 {
		t.Errorf("unblock: %d", code)
	}
	if code, out, _ := cli(t, with("rm", domain)...); code != 0 || !strings.Contains(out, "removed") {
		t.Errorf("rm: %d %q", code, out)
	}
	if code, _, errOut := cli(t, with("show", domain)...); code != 1 || !strings.Contains(errOut, "no such instance") {
		t.Errorf("show after rm: %d %q", code, errOut)
	}
}

func TestCLIErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{nil, 2, "Usage"},
		{[]string{"bogus"}, 2, "unknown command"},
		{[]string{"instances"}, 2, "usage"},
		{[]string{"instances", "frob", "--data-dir", dir}, 1, "admin secret"},
		{[]string{"serve", "--log-level", "loud", "--data-dir", dir}, 2, "--log-level"},
		{[]string{"serve", "extra", "--data-dir", dir}, 2, "no arguments"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.args), func(t *testing.T) {
			code, _, errOut := cli(t, tt.args...)
			if code != tt.code || !strings.Contains(strings.ToLower(errOut), strings.ToLower(tt.msg)) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.code, tt.msg)
			}
		})
	}
	t.Run("unreachable admin API", func(t *testing.T) {
		t.Setenv("HEARTH_ADMIN_SECRET", strings.Repeat("x", 64))
		code, _, errOut := cli(t, "instances", "ls", "--admin-url", "http://"+freeAddr(t))
		if code != 1 || !strings.Contains(errOut, "unreachable") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("wrong admin secret", func(t *testing.T) {
		d := t.TempDir()
		_, adm := serveInProcess(t, d)
		t.Setenv("HEARTH_ADMIN_SECRET", strings.Repeat("y", 64))
		code, _, errOut := cli(t, "instances", "ls", "--admin-url", "http://"+adm)
		if code != 1 || !strings.Contains(errOut, "admin secret") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
}
