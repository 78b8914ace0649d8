package testsvc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// ErrMissing reports that a service binary or npm package is not installed.
var ErrMissing = errors.New("testsvc: missing test dependency (run `make test-deps`)")

// CacheDir returns the directory holding test dependencies:
// $HEARTH_TEST_CACHE, or ~/.cache/hearth-test.
func CacheDir() (string, error) {
	if dir := os.Getenv("HEARTH_TEST_CACHE"); dir != "" {
		return dir, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("testsvc: locate home directory: %w", err)
	}
	return filepath.Join(home, ".cache", "hearth-test"), nil
}

// NodeModulesDir returns the node_modules directory of the test cache, or an
// error wrapping ErrMissing when it does not exist.
func NodeModulesDir() (string, error) {
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "node", "node_modules")
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrMissing, dir, err)
	}
	return dir, nil
}

// NodeModules returns the node_modules directory of the test cache and fails
// the test when it is missing.
func NodeModules(t testing.TB) string {
	t.Helper()
	dir, err := NodeModulesDir()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// nodeBin returns the path of an executable installed by an npm package.
func nodeBin(name string) (string, error) {
	mods, err := NodeModulesDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(mods, ".bin", name)
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrMissing, bin, err)
	}
	return bin, nil
}
