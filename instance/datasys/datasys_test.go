package datasys_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"

	kivik "github.com/go-kivik/kivik/v4"

	"github.com/hearth-cloud/hearth/instance/auth"
	"github.com/hearth-cloud/hearth/instance/datasys"
	"github.com/hearth-cloud/hearth/instance/datasys/datasystest"
	"github.com/hearth-cloud/hearth/instance/store"
	_ "github.com/hearth-cloud/hearth/instance/store/embedded"
	"github.com/hearth-cloud/hearth/internal/testsvc"
)

// serveData serves the Data System of one instance whose caller may do everything on every
// doctype the suite creates.
func serveData(t *testing.T, client *kivik.Client) (base string, newDoctype func() string) {
	t.Helper()
	var perms auth.Permissions
	var n atomic.Int64
	svc := &datasys.Service{DBs: &store.DBs{Client: client}, Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	var granted atomic.Pointer[auth.Permissions]
	granted.Store(&perms)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller := &auth.Caller{Instance: "0123456789abcdef", Perms: *granted.Load()}
		svc.ServeHTTP(w, r.WithContext(auth.WithCaller(r.Context(), caller)))
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	var mu = make(chan struct{}, 1)
	return srv.URL, func() string {
		mu <- struct{}{}
		defer func() { <-mu }()
		dt := fmt.Sprintf("io.hearth.test%d", n.Add(1))
		sc, _ := auth.ParseScope(dt)
		next := append(append(auth.Permissions{}, *granted.Load()...), sc)
		granted.Store(&next)
		return dt
	}
}

func runSuite(t *testing.T, client *kivik.Client, overPouchDB bool) {
	base, newDoctype := serveData(t, client)
	datasystest.Run(t, func(t *testing.T) datasystest.Target {
		return datasystest.Target{URL: base + "/data/" + newDoctype(), Hearth: true, OverPouchDB: overPouchDB}
	})
}

func TestConformanceCouchDB(t *testing.T) {
	url := testsvc.PouchDBServer(t)
	client, err := store.OpenCouchDB(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	runSuite(t, client, true)
}

func TestConformanceEmbedded(t *testing.T) {
	client, err := store.Open(context.Background(), store.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	runSuite(t, client, false)
}
