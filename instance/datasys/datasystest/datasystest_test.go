package datasystest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-kivik/kivik/v4"
	"github.com/go-kivik/kivik/v4/couchdb"

	"github.com/hearth-cloud/hearth/instance/datasys/datasystest"
	"github.com/hearth-cloud/hearth/internal/testsvc"
)

// pouchURL is the base URL of the pouchdb-server shared by the tests.
var pouchURL string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "datasystest-pouchdb-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	url, stop, err := testsvc.StartPouchDBServer(context.Background(), dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stop()
	pouchURL = url
	return m.Run()
}

// dbSeq numbers the databases created on the shared server.
var dbSeq atomic.Int64

// newPouchDB creates a fresh database on the shared pouchdb-server.
func newPouchDB(t *testing.T) datasystest.Target {
	t.Helper()
	name := fmt.Sprintf("db%d", dbSeq.Add(1))
	url := pouchURL + "/" + name
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := testsvc.HTTPClient("")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT %s: %s", url, resp.Status)
	}
	return datasystest.Target{URL: strings.TrimSuffix(url, "/"), Client: client}
}

func TestSuiteAgainstPouchDBServer(t *testing.T) {
	datasystest.Run(t, newPouchDB)
}

func TestKivikClientAgainstPouchDBServer(t *testing.T) {
	t.Parallel()
	a, b := newPouchDB(t), newPouchDB(t)
	datasystest.RunKivikClient(t, datasystest.KivikTarget{
		ServerURL: pouchURL,
		DB:        a.URL[strings.LastIndex(a.URL, "/")+1:],
		OtherDB:   b.URL[strings.LastIndex(b.URL, "/")+1:],
		Options:   []kivik.Option{couchdb.OptionHTTPClient(&http.Client{Transport: pouchCompat{}})},
	})
}

// pouchCompat makes pouchdb-server answer kivik's replicator as CouchDB
// does, where it differs in ways kivik cannot read:
//   - it answers open_revs with JSON even when asked for multipart/mixed:
//     we answer 501, so that kivik falls back to reading revisions one by one;
//   - it answers PUT ?new_edits=false with [] instead of {"ok":true,…}.
type pouchCompat struct{}

func (pouchCompat) RoundTrip(req *http.Request) (*http.Response, error) {
	q := req.URL.Query()
	if q.Has("open_revs") {
		return &http.Response{StatusCode: http.StatusNotImplemented, Status: "501 Not Implemented",
			Header: http.Header{"Content-Type": {"application/json"}}, Request: req,
			Body: io.NopCloser(strings.NewReader(`{"error":"not_implemented","reason":"open_revs"}`))}, nil
	}
	resp, err := testsvc.HTTPClient("").Transport.RoundTrip(req)
	if err != nil || req.Method != http.MethodPut || q.Get("new_edits") != "false" || resp.StatusCode/100 != 2 {
		return resp, err
	}
	resp.Body.Close()
	id := req.URL.Path[strings.LastIndex(req.URL.Path, "/")+1:]
	body, _ := json.Marshal(map[string]any{"ok": true, "id": id, "rev": ""})
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

func TestPouchDBSyncAgainstPouchDBServer(t *testing.T) {
	t.Parallel()
	datasystest.RunPouchDBSync(t, newPouchDB(t).URL, "")
}
