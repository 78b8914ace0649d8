package testsvc_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hearth-cloud/hearth/internal/testsvc"
)

func TestPostgreSQL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	urls := []string{testsvc.PostgreSQL(t), testsvc.PostgreSQL(t)}
	if urls[0] == urls[1] {
		t.Fatalf("two calls gave the same database %s", urls[0])
	}
	for _, url := range urls {
		if !strings.HasPrefix(url, "postgres://postgres@127.0.0.1:") {
			t.Fatalf("url = %q", url)
		}
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		var tables int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`).Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Errorf("%s: %d tables in a new database", url, tables)
		}
		if _, err := conn.Exec(ctx, `CREATE TABLE t (n int); INSERT INTO t VALUES (1)`); err != nil {
			t.Fatal(err)
		}
		var fsync string
		if err := conn.QueryRow(ctx, `SHOW fsync`).Scan(&fsync); err != nil || fsync != "off" {
			t.Errorf("fsync = %q, %v; want off", fsync, err)
		}
		_ = conn.Close(ctx)
	}
}
