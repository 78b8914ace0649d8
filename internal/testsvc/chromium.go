package testsvc

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// screenshotTimeout bounds the screenshot taken when a test fails.
const screenshotTimeout = 10 * time.Second

// chromiumFlags are the command-line switches of every test browser:
// headless, no sandbox (the tests run as root in CI), no GPU, shared memory
// in the temporary directory rather than a small /dev/shm, and no traffic of
// its own (updates, sync, extensions, proxies from the environment).
var chromiumFlags = []chromedp.ExecAllocatorOption{
	chromedp.Flag("headless", true),
	chromedp.Flag("no-sandbox", true),
	chromedp.Flag("disable-gpu", true),
	chromedp.Flag("disable-dev-shm-usage", true),
	chromedp.Flag("disable-background-networking", true),
	chromedp.Flag("no-first-run", true),
	chromedp.Flag("no-default-browser-check", true),
	chromedp.Flag("disable-extensions", true),
	chromedp.Flag("disable-sync", true),
	chromedp.Flag("mute-audio", true),
	chromedp.Flag("no-proxy-server", true),
	chromedp.Flag("hide-scrollbars", true),
	chromedp.WindowSize(1280, 800),
}

// ChromiumPath returns the Chromium binary the tests use: $HEARTH_CHROMIUM,
// or `chromium` on PATH. The error wraps ErrMissing.
func ChromiumPath() (string, error) {
	name := os.Getenv("HEARTH_CHROMIUM")
	if name == "" {
		name = "chromium"
	}
	bin, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w: chromium: %w", ErrMissing, err)
	}
	return bin, nil
}

// Chromium starts a headless Chromium for the test and returns a chromedp
// context of its first tab, ready for chromedp.Run and chromedp.Do. The
// browser runs with a temporary profile that chromedp removes; it is killed,
// with every process it started, when the test ends. If the test failed by
// then, a screenshot of the tab is saved (see ScreenshotOnFailure).
//
// Pages on hosts under localhost reach 127.0.0.1 without any DNS set-up:
// Chromium resolves *.localhost to loopback itself, so a test server on
// 127.0.0.1:P answers http://notes.alice.localhost:P/ with that Host.
//
// The context ends 5 s before the test's deadline (go test -timeout), so
// that a stuck step fails the test with a screenshot rather than a panic
// of the whole binary; steps that wait for the page, such as WaitVisible,
// wait until then, so bound one that may never finish with
// context.WithTimeout.
//
// Without Chromium, the test fails when $CI is set, and is skipped
// otherwise with a message saying that `make test-deps` installs it.
func Chromium(t testing.TB) context.Context {
	t.Helper()
	bin, err := ChromiumPath()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skipf("%v (skipped because $CI is not set)", err)
	}
	out := &LockedBuffer{}
	opts := append([]chromedp.ExecAllocatorOption{chromedp.ExecPath(bin), chromedp.CombinedOutput(out)},
		chromiumFlags...)
	// The browser lives until the cleanup, not t.Context(), which ends
	// before the cleanups that still use it (screenshot, console check).
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits until the browser and its children are gone
	})
	// Start the browser now, so that a browser that cannot start fails here;
	// it lives as long as the context of this first call.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("testsvc: start chromium %s: %v\n%s", bin, err, out)
	}
	ScreenshotOnFailure(t, tab)
	ctx, cancel := beforeDeadline(t, tab)
	t.Cleanup(cancel)
	return ctx
}

// beforeDeadline returns ctx ending 5 s before the test's deadline, if it
// has one.
func beforeDeadline(t testing.TB, ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if deadline, ok := d.Deadline(); ok {
			return context.WithDeadline(ctx, deadline.Add(-5*time.Second))
		}
	}
	return context.WithCancel(ctx)
}

// ScreenshotOnFailure saves a PNG of the tab's whole page when the test
// has failed by the time it ends (also when ctx has ended), and logs its
// path. The file goes to
// $HEARTH_TEST_ARTIFACTS when it is set, else to t.ArtifactDir(), which
// `go test -artifacts` keeps. Chromium already calls it for its tab; call
// it for other tabs.
func ScreenshotOnFailure(t testing.TB, ctx context.Context) {
	t.Helper()
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		path, err := saveScreenshot(ctx, artifactDir(t), t.Name())
		if err != nil {
			t.Logf("testsvc: no screenshot of the failed test: %v", err)
			return
		}
		t.Logf("testsvc: screenshot of the page at the failure: %s", path)
	})
}

// artifactDir returns where a test's files for humans go.
func artifactDir(t testing.TB) string {
	if dir := os.Getenv("HEARTH_TEST_ARTIFACTS"); dir != "" {
		return dir
	}
	return t.ArtifactDir()
}

// saveScreenshot writes a PNG of the tab's whole page to dir, in a file
// named after the test, and returns its path. It works after ctx ended, as
// long as the browser runs.
func saveScreenshot(ctx context.Context, dir, testName string) (string, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), screenshotTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return "", fmt.Errorf("testsvc: screenshot: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("testsvc: screenshot: %w", err)
	}
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, testName)
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return "", fmt.Errorf("testsvc: screenshot: %w", err)
	}
	return path, nil
}
