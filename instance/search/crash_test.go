package search

import (
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"
)

// crashEnv, when set, makes TestCrashResumes the crashing indexer: it indexes the store under
// that directory and exits abruptly in the middle of the feed.
const crashEnv = "HEARTH_SEARCH_CRASH_ROOT"

// crashExit is the crashing indexer's exit code.
const crashExit = 3

// TestCrashResumes runs an indexer in another process and kills it (exit without closing
// anything) in the middle of the feed; an indexer started afterwards finds every document
// exactly once.
func TestCrashResumes(t *testing.T) {
	if root := os.Getenv(crashEnv); root != "" {
		crashingIndexer(t, root)
		return
	}
	t.Parallel()
	e := newEnv(t)
	const n = 3000
	e.put(t, alice, notesType, notes(0, n)...)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashResumes$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+e.root)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != crashExit {
		t.Fatalf("the crashing indexer: %v\n%s", err, out)
	}
	ix := e.indexer(t, func(c *Config) { c.BatchSize = 100 })
	wantTotal(t, ix, alice, "milk", n)
	checkOnce(t, allKeys(t, ix, alice), n)
	if ix.Indexed() >= n {
		t.Logf("the crashed indexer had persisted nothing: all %d changes read again", ix.Indexed())
	}
}

func crashingIndexer(t *testing.T, root string) {
	e := openEnv(t, root)
	ix := e.indexer(t, func(c *Config) { c.BatchSize = 100 })
	ix.Notify(alice, notesType)
	deadline := time.Now().Add(time.Minute)
	for ix.Indexed() < 1200 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	os.Exit(crashExit)
}
