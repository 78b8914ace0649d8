package testsvc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// smokePage has a button whose click handler changes a text through JS.
const smokePage = `<!doctype html>
<html><head><meta charset="utf-8"><title>smoke</title><link rel="icon" href="data:,"></head>
<body><p id="out">waiting</p><button id="go">go</button>
<script>
document.getElementById("go").addEventListener("click", () => {
  const out = document.getElementById("out");
  out.textContent = "clicked on " + location.hostname;
  out.className = "done";
});
</script></body></html>`

// hostServer serves page on 127.0.0.1 and records the Host of each request.
func hostServer(t *testing.T, page string) (port string, hosts func() []string) {
	t.Helper()
	var seen = make(chan string, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Host
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))
	t.Cleanup(srv.Close)
	_, port, _ = net.SplitHostPort(srv.Listener.Addr().String())
	return port, func() []string {
		var out []string
		for {
			select {
			case h := <-seen:
				out = append(out, h)
			default:
				return out
			}
		}
	}
}

func TestChromiumLocalhostHosts(t *testing.T) {
	t.Parallel()
	start := time.Now()
	port, hosts := hostServer(t, smokePage)
	ctx := Chromium(t)
	started := time.Since(start)
	FailOnConsoleErrors(t, ctx)
	for _, host := range []string{"alice.localhost:" + port, "notes.alice.localhost:" + port} {
		if err := chromedp.Do(ctx, chromedp.Navigate("http://"+host+"/"),
			chromedp.Click(chromedp.ID("go"))); err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#out.done")))
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		want := "clicked on " + strings.TrimSuffix(host, ":"+port)
		if got != want {
			t.Errorf("%s: text after click = %q, want %q", host, got, want)
		}
		if h := hosts(); len(h) == 0 || h[0] != host {
			t.Errorf("%s: the server saw Host %q", host, h)
		}
	}
	t.Logf("browser started in %v, whole test %v", started.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

func TestChromiumStopsWithTest(t *testing.T) {
	t.Parallel()
	var pid int
	var dataDir string
	t.Run("browser", func(t *testing.T) {
		ctx := Chromium(t)
		p := chromedp.FromContext(ctx).Browser.Process()
		if p == nil {
			t.Fatal("no browser process")
		}
		pid = p.Pid
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			t.Fatal(err)
		}
		for arg := range bytes.SplitSeq(cmdline, []byte{0}) {
			if dir, ok := strings.CutPrefix(string(arg), "--user-data-dir="); ok {
				dataDir = dir
			}
		}
		if dataDir == "" {
			t.Fatalf("no --user-data-dir in %q", cmdline)
		}
	})
	if pid == 0 {
		t.Fatal("the browser did not start")
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("browser process %d still there after its test: kill 0 = %v", pid, err)
	}
	if left := processesWith("--user-data-dir=" + dataDir); len(left) > 0 {
		t.Errorf("processes of the browser still running: %v", left)
	}
	if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("profile %s still there: %v", dataDir, err)
	}
}

// processesWith lists the pids whose command line has the argument arg.
func processesWith(arg string) []string {
	entries, _ := os.ReadDir("/proc")
	var pids []string
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		for a := range bytes.SplitSeq(cmdline, []byte{0}) {
			if string(a) == arg {
				pids = append(pids, e.Name())
			}
		}
	}
	return pids
}

// errorPage logs an error, throws, and rejects a promise nobody handles,
// plus a console.log that is not an error; #done appears after all that.
const errorPage = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>
<script>
console.log("just a log");
console.error("boom", 42);
Promise.reject(new Error("nobody catches me"));
setTimeout(() => { throw new TypeError("thrown later"); });
setTimeout(() => { document.body.insertAdjacentHTML("beforeend", '<p id="done">done</p>'); });
</script></body></html>`

func TestPageConsole(t *testing.T) {
	t.Parallel()
	port, _ := hostServer(t, errorPage)
	ctx := Chromium(t)
	c := WatchConsole(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate("http://alice.localhost:"+port+"/"),
		chromedp.WaitReady(chromedp.ID("done"))); err != nil {
		t.Fatal(err)
	}
	errs, err := c.Errors()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range errs {
		got = append(got, m.String())
	}
	slices.Sort(got) // Chromium reports the rejection after a task or two
	want := []string{
		"error: boom 42",
		"exception: Uncaught (in promise) Error: nobody catches me",
		"exception: Uncaught TypeError: thrown later",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("console errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestScreenshot(t *testing.T) {
	t.Parallel()
	port, _ := hostServer(t, smokePage)
	ctx := Chromium(t)
	if err := chromedp.Do(ctx, chromedp.Navigate("http://alice.localhost:"+port+"/")); err != nil {
		t.Fatal(err)
	}
	// A test that failed on its deadline has an ended context: the screenshot still works.
	ended, cancel := context.WithCancel(ctx)
	cancel()
	path, err := saveScreenshot(ended, t.TempDir(), t.Name()+"/sub test")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "TestScreenshot_sub_test.png" {
		t.Errorf("path = %s", path)
	}
	b, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("%s is not a PNG (%d bytes, %v)", path, len(b), err)
	}
}

func TestChromiumPath(t *testing.T) {
	t.Setenv("HEARTH_CHROMIUM", filepath.Join(t.TempDir(), "no-such-chromium"))
	if _, err := ChromiumPath(); !errors.Is(err, ErrMissing) {
		t.Errorf("ChromiumPath with a missing $HEARTH_CHROMIUM: %v, want ErrMissing", err)
	}
}
