package embedded

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	kivik "github.com/go-kivik/kivik/v4"
)

const crashDirEnv = "HEARTH_EMBEDDED_CRASH_DIR"

// TestCrashWriter is the child of TestKill9KeepsAcknowledgedWrites: it writes until killed,
// printing the id of every acknowledged write.
func TestCrashWriter(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("runs only as the child of TestKill9KeepsAcknowledgedWrites")
	}
	c, err := kivik.New(DriverName, dir)
	if err != nil {
		t.Fatal(err)
	}
	db := c.DB("crash")
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				id := fmt.Sprintf("w%d-%06d", w, i)
				if _, err := db.Put(context.Background(), id, map[string]any{"i": i}); err != nil {
					fmt.Println("error", err)
					return
				}
				mu.Lock()
				fmt.Println("ack", id)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// TestKill9KeepsAcknowledgedWrites kills a writing process with SIGKILL and checks that every
// write it acknowledged is in the database afterwards.
func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	dir := t.TempDir()
	setup, err := kivik.New(DriverName, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := setup.CreateDB(context.Background(), "crash"); err != nil {
		t.Fatal(err)
	}
	_ = setup.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(30 * time.Second)
	for sc.Scan() && len(acked) < 500 && time.Now().Before(deadline) {
		if id, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
			acked = append(acked, id)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() { // acknowledgements printed before the kill
		if id, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
			acked = append(acked, id)
		}
	}
	_ = cmd.Wait() // killed: the error is expected
	if len(acked) < 100 {
		t.Fatalf("only %d writes acknowledged", len(acked))
	}

	c, err := kivik.New(DriverName, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	db := c.DB("crash")
	for _, id := range acked {
		if _, err := db.GetRev(context.Background(), id); err != nil {
			t.Fatalf("acknowledged %s lost: %v", id, err)
		}
	}
	t.Logf("%d acknowledged writes survived kill -9", len(acked))
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	c := newClient(t.TempDir(), defaultOptions())
	t.Cleanup(func() { _ = c.Close() })
	if err := c.CreateDB(context.Background(), "p", nil); err != nil {
		t.Fatal(err)
	}
	h, err := c.acquire("p")
	if err != nil {
		t.Fatal(err)
	}
	defer c.release(h)
	var mode string
	var sync int
	if err := h.wconn.QueryRowContext(context.Background(), `PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if err := h.wconn.QueryRowContext(context.Background(), `PRAGMA synchronous`).Scan(&sync); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" || sync != 2 {
		t.Fatalf("journal_mode=%s synchronous=%d, want wal and 2 (FULL)", mode, sync)
	}
}
