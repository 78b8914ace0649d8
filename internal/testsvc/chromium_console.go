package testsvc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// consoleSyncTimeout bounds the wait for the page's console to catch up.
const consoleSyncTimeout = 10 * time.Second

var errConsoleClosed = errors.New("testsvc: console watch ended")

// markPrefix starts the console lines PageConsole writes to sync with a page.
const markPrefix = "hearth-testsvc-console-mark-"

// markCount numbers the marks that PageConsole writes to sync with a page.
var markCount atomic.Int64

// PageConsole collects the console errors and the uncaught exceptions (and
// unhandled promise rejections) of one tab, including the browser's own
// error log entries such as a failed resource load.
type PageConsole struct {
	ctx  context.Context
	mu   sync.Mutex
	errs []chromedp.ConsoleMessage // guarded by mu
	seen map[string]bool           // marks read back from the console; guarded by mu
	err  error                     // why the watch ended; guarded by mu
	wake chan struct{}             // closed and replaced on each message; guarded by mu
}

// WatchConsole starts collecting the console errors of the tab ctx (from
// Chromium). Messages written before the call are not seen.
func WatchConsole(t testing.TB, ctx context.Context) *PageConsole {
	t.Helper()
	// The watch and the checks outlive ctx's deadline, not the browser.
	ctx = context.WithoutCancel(ctx)
	wctx, cancel := context.WithCancel(ctx)
	c := &PageConsole{ctx: ctx, seen: map[string]bool{}, wake: make(chan struct{})}
	messages := chromedp.Console(wctx) // subscribed from here on
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if !c.add(m, err) {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return c
}

// add records one message; it returns false once the watch has ended.
func (c *PageConsole) add(m chromedp.ConsoleMessage, err error) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer func() {
		close(c.wake)
		c.wake = make(chan struct{})
	}()
	if err != nil {
		c.err = fmt.Errorf("%w: %w", errConsoleClosed, err)
		return false
	}
	switch {
	case m.Type == chromedp.ConsoleDebug && strings.HasPrefix(m.Text, markPrefix):
		c.seen[m.Text] = true
	case m.Type == chromedp.ConsoleError || m.IsException():
		c.errs = append(c.errs, m)
	}
	return true
}

// Errors returns the errors and exceptions seen so far. It first writes a
// mark to the page's console and waits for it to come back, so that
// everything the page logged before the call is included.
func (c *PageConsole) Errors() ([]chromedp.ConsoleMessage, error) {
	mark := fmt.Sprintf("%s%d", markPrefix, markCount.Add(1))
	ctx, cancel := context.WithTimeout(c.ctx, consoleSyncTimeout)
	defer cancel()
	js := fmt.Sprintf("console.debug(%s)", jsString(mark))
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](js)); err != nil {
		return c.snapshot(), fmt.Errorf("testsvc: sync with the console: %w", err)
	}
	for {
		c.mu.Lock()
		seen, err, wake := c.seen[mark], c.err, c.wake
		c.mu.Unlock()
		switch {
		case seen:
			return c.snapshot(), nil
		case err != nil:
			return c.snapshot(), err
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return c.snapshot(), fmt.Errorf("testsvc: console mark not seen: %w", ctx.Err())
		}
	}
}

func (c *PageConsole) snapshot() []chromedp.ConsoleMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), c.errs...)
}

// FailOnConsoleErrors watches the console of the tab ctx and, when the test
// ends, fails it with every console error and uncaught exception the page
// produced meanwhile. Call PageConsole.Errors to check earlier.
func FailOnConsoleErrors(t testing.TB, ctx context.Context) *PageConsole {
	t.Helper()
	c := WatchConsole(t, ctx) // its cleanup runs after the one below
	t.Cleanup(func() {
		errs, err := c.Errors()
		for _, m := range errs {
			t.Errorf("page console: %s%s", m, where(m))
		}
		if err != nil && !t.Failed() {
			t.Error(err)
		}
	})
	return c
}

// where formats the place a message came from, if known.
func where(m chromedp.ConsoleMessage) string {
	if m.URL == "" {
		return ""
	}
	return fmt.Sprintf(" (%s:%d:%d)", m.URL, m.Line+1, m.Column+1)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
