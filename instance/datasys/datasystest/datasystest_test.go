package datasystest_test

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"

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
	url, stop, err := testsvc.StartPouchDBServer(t0Context(), dir)
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
