package testsvc_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-cloud/hearth/internal/testsvc"
)

func TestPouchDBServer(t *testing.T) {
	t.Parallel()
	url := testsvc.PouchDBServer(t)
	client := testsvc.KivikCouchDB(t, url, testsvc.BearerToken("ignored-by-pouchdb"))
	ctx := context.Background()
	if err := client.CreateDB(ctx, "testsvc"); err != nil {
		t.Fatalf("CreateDB: %v", err)
	}
	db := client.DB("testsvc")
	rev, err := db.Put(ctx, "doc1", map[string]any{"n": 1})
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if !strings.HasPrefix(rev, "1-") {
		t.Errorf("rev = %q, want 1-…", rev)
	}
}

func TestRedis(t *testing.T) {
	t.Parallel()
	url := testsvc.Redis(t)
	if !strings.HasPrefix(url, "redis://127.0.0.1:") || !strings.HasSuffix(url, "/0") {
		t.Errorf("url = %q", url)
	}
}

func TestNode(t *testing.T) {
	t.Parallel()
	script := filepath.Join(t.TempDir(), "hello.js")
	src := `require("pouchdb"); console.log("hello " + process.env.WHO);`
	if err := os.WriteFile(script, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	out := testsvc.Node(t, script, "WHO=hearth")
	if got := strings.TrimSpace(string(out)); got != "hello hearth" {
		t.Errorf("output = %q", got)
	}
}

func TestBearerTransport(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Authorization")
	}))
	t.Cleanup(srv.Close)
	resp, err := testsvc.HTTPClient("tok").Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if h := <-got; h != "Bearer tok" {
		t.Errorf("Authorization = %q", h)
	}
}
