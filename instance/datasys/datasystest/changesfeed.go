package datasystest

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"
)

// feedWait bounds how long a feed may take to deliver what the test expects.
const feedWait = 20 * time.Second

func changesFeedCases() []testCase {
	return []testCase{
		{name: "LongpollReturnsOnWrite", run: testLongpollWrite},
		{name: "LongpollImmediate", run: func(t *testing.T, db *tdb) {
			db.put("a", map[string]any{})
			res, _ := db.changes("feed=longpoll&since=0")
			eq(t, "ids", field(res, "id"), []string{"a"})
		}},
		// pouchdb-server ignores timeout on longpoll and waits forever.
		{name: "LongpollTimeout", hearth: true, run: func(t *testing.T, db *tdb) {
			db.put("a", map[string]any{})
			_, last := db.changes("")
			start := time.Now()
			res, _ := db.changes("feed=longpoll&timeout=300&since=" + seqParam(t, last))
			if len(res) != 0 || time.Since(start) > feedWait {
				t.Errorf("longpoll timeout: %d results after %v", len(res), time.Since(start))
			}
		}},
		{name: "Continuous", run: testContinuous},
	}
}

// wroteRequest returns a context that closes wrote once the request has
// been fully sent.
func wroteRequest(ctx context.Context) (context.Context, <-chan struct{}) {
	wrote := make(chan struct{})
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { close(wrote) }}
	return httptrace.WithClientTrace(ctx, trace), wrote
}

func testLongpollWrite(t *testing.T, db *tdb) {
	db.put("a", map[string]any{})
	_, last := db.changes("")
	ctx, cancel := context.WithTimeout(t.Context(), feedWait)
	defer cancel()
	ctx, wrote := wroteRequest(ctx)
	type result struct {
		body []byte
		err  error
	}
	done := make(chan result, 1)
	path := "/_changes?feed=longpoll&timeout=60000&since=" + seqParam(t, last)
	go func() {
		resp, err := db.trySend(ctx, "GET", path, nil)
		if err != nil {
			done <- result{nil, err}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		done <- result{body, err}
	}()
	select {
	case <-wrote:
	case <-ctx.Done():
		t.Fatal("longpoll request not sent")
	}
	db.put("b", map[string]any{})
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		t.Fatal("longpoll did not return after a write")
	}
	if r.err != nil {
		t.Fatalf("longpoll: %v", r.err)
	}
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("longpoll body: %v: %s", err, clip(r.body))
	}
	eq(t, "ids", field(objs(t, m["results"], "results"), "id"), []string{"b"})
	if _, ok := m["last_seq"]; !ok {
		t.Errorf("no last_seq: %s", r.body)
	}
}

// feedLines reads a continuous feed line by line into a channel, which is
// closed at the end of the stream or when ctx is done.
func feedLines(ctx context.Context, resp *http.Response) <-chan string {
	lines := make(chan string)
	go func() {
		defer close(lines)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	return lines
}

// nextLine waits for the next line of a feed.
func nextLine(ctx context.Context, t *testing.T, lines <-chan string, what string) string {
	t.Helper()
	select {
	case line, ok := <-lines:
		if !ok {
			t.Fatalf("feed ended while waiting for %s", what)
		}
		return line
	case <-ctx.Done():
		t.Fatalf("no %s within %v", what, feedWait)
	}
	return ""
}

func testContinuous(t *testing.T, db *tdb) {
	db.put("a", map[string]any{})
	ctx, cancel := context.WithTimeout(t.Context(), feedWait)
	defer cancel()
	resp := db.send(ctx, "GET", "/_changes?feed=continuous&heartbeat=200&since=0", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("continuous feed: %s", resp.Status)
	}
	lines := feedLines(ctx, resp)
	first := nextLine(ctx, t, lines, "the existing change")
	for strings.TrimSpace(first) == "" {
		first = nextLine(ctx, t, lines, "the existing change")
	}
	if row := decodeLine(t, first); row["id"] != "a" || row["seq"] == nil {
		t.Errorf("first line = %q, want the change of a", first)
	}
	if line := nextLine(ctx, t, lines, "a heartbeat"); line != "" {
		t.Errorf("line while idle = %q, want a heartbeat (empty line)", line)
	}
	db.put("b", map[string]any{})
	for {
		line := nextLine(ctx, t, lines, "the change of b")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if row := decodeLine(t, line); row["id"] != "b" {
			t.Errorf("line after write = %q, want the change of b", line)
		}
		return
	}
}

func decodeLine(t *testing.T, line string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("feed line %q: %v", line, err)
	}
	return m
}
