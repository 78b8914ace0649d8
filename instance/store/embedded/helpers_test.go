package embedded

import (
	"context"
	"encoding/json"
	"io"
	"testing"

	kivik "github.com/go-kivik/kivik/v4"
	"github.com/go-kivik/kivik/v4/driver"
)

// newTestDB returns a fresh database on a new client in a temporary directory.
func newTestDB(t testing.TB) (*kivik.Client, *kivik.DB) {
	t.Helper()
	c, err := kivik.New(DriverName, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.CreateDB(context.Background(), "test"); err != nil {
		t.Fatal(err)
	}
	return c, c.DB("test")
}

func mustPut(t testing.TB, db *kivik.DB, id string, doc any) string {
	t.Helper()
	rev, err := db.Put(context.Background(), id, doc)
	if err != nil {
		t.Fatalf("put %s: %v", id, err)
	}
	return rev
}

func getMap(t testing.TB, db *kivik.DB, id string, opts ...kivik.Option) map[string]any {
	t.Helper()
	var m map[string]any
	if err := db.Get(context.Background(), id, opts...).ScanDoc(&m); err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return m
}

func wantStatus(t testing.TB, err error, status int) {
	t.Helper()
	if got := kivik.HTTPStatus(err); got != status {
		t.Fatalf("status = %d (%v), want %d", got, err, status)
	}
}

func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonReader(b []byte) *bytesReader { return &bytesReader{b: b} }

// bytesReader is an io.Reader over b, so that tests can hand kivik a reader body.
type bytesReader struct{ b []byte }

func (r *bytesReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// countRows counts the rows of table in database name, through the driver's own client.
func countRows(t testing.TB, kc *kivik.Client, name, table string) int {
	t.Helper()
	var n int
	err := kc.DB(name).Flush(context.Background()) // the database exists and is reachable
	if err != nil {
		t.Fatal(err)
	}
	dir := kc.DSN()
	c := newClient(dir, defaultOptions())
	defer c.Close()
	h, err := c.acquire(name)
	if err != nil {
		t.Fatal(err)
	}
	defer c.release(h)
	if err := h.rdb.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// driverChange wraps driver.Change for tests that call the driver directly.
type driverChange struct{ driver.Change }
