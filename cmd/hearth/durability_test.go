package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds cmd/hearth into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hearth")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	return bin
}

// process is a `hearth serve` child process.
type process struct {
	cmd      *exec.Cmd
	pub, adm string
	stderr   *bytes.Buffer
}

func startBinary(t *testing.T, bin, dataDir string) *process {
	t.Helper()
	p := &process{pub: freeAddr(t), adm: freeAddr(t), stderr: &bytes.Buffer{}}
	p.cmd = exec.Command(bin, "serve", "--addr", p.pub, "--admin-addr", p.adm, "--data-dir", dataDir, "--log-level", "warn")
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		if resp, err := http.Get("http://" + p.adm + "/health"); err == nil {
			resp.Body.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("hearth serve did not start: %s", p.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func adminCall(t *testing.T, p *process, secret, path string, body any, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", "http://"+p.adm+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("admin %s: %d %s", path, resp.StatusCode, raw)
	}
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
}

// ack is what the runtime acknowledged for a document: its last revision, and whether a later
// write was in flight when the runtime died (then that write may or may not have landed).
type ack struct {
	rev      string
	inflight bool
}

// TestAcknowledgedWritesSurviveKill writes with 16 concurrent clients, kills the runtime with
// SIGKILL in the middle, restarts it and finds every acknowledged revision.
func TestAcknowledgedWritesSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	p := startBinary(t, bin, dir)
	secretB, err := os.ReadFile(filepath.Join(dir, "admin.secret"))
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSpace(string(secretB))
	domain := "durable.test"
	adminCall(t, p, secret, "/instances", map[string]string{"domain": domain}, nil)
	var tok struct{ Token string }
	adminCall(t, p, secret, "/instances/"+domain+"/tokens", map[string]any{"scopes": []string{"io.hearth.notes"}}, &tok)

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	put := func(id, rev string, n int) (string, bool) {
		body := fmt.Sprintf(`{"n":%d,"pad":"%s"}`, n, strings.Repeat("x", 200))
		if rev != "" {
			body = fmt.Sprintf(`{"_rev":%q,"n":%d}`, rev, n)
		}
		req, _ := http.NewRequest("PUT", "http://"+p.pub+"/data/io.hearth.notes/"+id, strings.NewReader(body))
		req.Host = domain
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		resp, err := client.Do(req)
		if err != nil {
			return "", false
		}
		defer resp.Body.Close()
		var out struct{ Rev string }
		if resp.StatusCode != 201 || json.NewDecoder(resp.Body).Decode(&out) != nil {
			return "", false
		}
		return out.Rev, true
	}

	var mu sync.Mutex
	acks := map[string]*ack{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("w%02d-%05d", w, i)
				mu.Lock()
				acks[id] = &ack{inflight: true}
				mu.Unlock()
				rev, ok := put(id, "", i)
				if !ok {
					return // the runtime is gone
				}
				mu.Lock()
				acks[id].rev = rev
				mu.Unlock()
				// Update every document once: the acknowledged revision is the second.
				rev2, ok := put(id, rev, i+1)
				if !ok {
					return
				}
				mu.Lock()
				acks[id] = &ack{rev: rev2}
				mu.Unlock()
			}
		}()
	}
	// Kill in the middle of the load.
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(acks)
		mu.Unlock()
		if n >= 3000 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	_ = p.cmd.Wait()

	q := startBinary(t, bin, dir)
	acknowledged, checked := 0, 0
	for id, a := range acks {
		if a.rev == "" {
			continue // never acknowledged
		}
		acknowledged++
		req, _ := http.NewRequest("GET", "http://"+q.pub+"/data/io.hearth.notes/"+id, nil)
		req.Host = domain
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Rev string `json:"_rev"`
		}
		_ = json.NewDecoder(bufio.NewReader(resp.Body)).Decode(&doc)
		resp.Body.Close()
		switch {
		case resp.StatusCode != 200:
			t.Errorf("%s: acknowledged at %s, now %d", id, a.rev, resp.StatusCode)
		case doc.Rev == a.rev:
			checked++
		case a.inflight && strings.HasPrefix(doc.Rev, "2-") && strings.HasPrefix(a.rev, "1-"):
			checked++ // the update in flight at the kill landed: fine
		default:
			t.Errorf("%s: acknowledged rev %s, found %s", id, a.rev, doc.Rev)
		}
	}
	if acknowledged < 100 {
		t.Fatalf("only %d writes acknowledged before the kill: the load did not run", acknowledged)
	}
	t.Logf("%d acknowledged documents, all found with their acknowledged revision after SIGKILL", checked)
}

// TestServeStopsOnSignal checks that SIGTERM and SIGINT stop the runtime cleanly, with exit 0,
// and that the environment twins of the flags are read.
func TestServeStopsOnSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the real binary")
	}
	bin := buildBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			pub, adm := freeAddr(t), freeAddr(t)
			cmd := exec.Command(bin, "serve")
			cmd.Env = append(os.Environ(), "HEARTH_ADDR="+pub, "HEARTH_ADMIN_ADDR="+adm, "HEARTH_DATA_DIR="+dir, "HEARTH_LOG_LEVEL=warn")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				if resp, err := http.Get("http://" + adm + "/health"); err == nil {
					resp.Body.Close()
					break
				}
				if time.Now().After(deadline) {
					_ = cmd.Process.Kill()
					t.Fatalf("did not start from its HEARTH_ environment: %s", stderr.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			if _, err := os.Stat(filepath.Join(dir, "admin.secret")); err != nil {
				t.Errorf("HEARTH_DATA_DIR not used: %v", err)
			}
			_ = cmd.Process.Signal(sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("exit after %v: %v; stderr: %s", sig, err, stderr.String())
				}
			case <-time.After(15 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("still running 15 s after %v", sig)
			}
		})
	}
}
