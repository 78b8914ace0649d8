package testsvc

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// nodeTimeout bounds a node script run by Node.
const nodeTimeout = 5 * time.Minute

// Node runs `node script` with NODE_PATH set to the test cache's
// node_modules and the extra environment variables env ("KEY=value"), and
// returns its standard output. It fails the test, showing standard error,
// if node is missing or the script exits with an error.
func Node(t testing.TB, script string, env ...string) []byte {
	t.Helper()
	mods := NodeModules(t)
	bin, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("%v: node: %v", ErrMissing, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), nodeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, script)
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods, "NODE_OPTIONS=--unhandled-rejections=strict")
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s", fmt.Errorf("testsvc: node %s: %w\nstdout:\n%s\nstderr:\n%s",
			script, err, stdout.String(), stderr.String()))
	}
	return stdout.Bytes()
}
