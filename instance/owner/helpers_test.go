package owner

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	kivik "github.com/go-kivik/kivik/v4"

	"github.com/hearth-cloud/hearth/instance/store"
	_ "github.com/hearth-cloud/hearth/instance/store/embedded"
	"github.com/hearth-cloud/hearth/internal/testsvc"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time // guarded by mu
}

func newClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// cheapParams keep tests fast; the code paths are the same.
func cheapParams() Params { return Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32} }

// newStoreFunc opens a fresh, empty Store.
type newStoreFunc func(t *testing.T) Store

var dbSeq atomic.Int64

// forEachBackend runs f once on the embedded driver and once on pouchdb-server.
func forEachBackend(t *testing.T, f func(t *testing.T, newStore newStoreFunc)) {
	t.Helper()
	t.Run("embedded", func(t *testing.T) {
		client, err := kivik.New(store.EmbeddedDriver, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = client.Close() })
		f(t, kivikStores(client))
	})
	t.Run("pouchdb", func(t *testing.T) {
		client, err := store.OpenCouchDB(context.Background(), testsvc.PouchDBServer(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = client.Close() })
		f(t, kivikStores(client))
	})
}

// kivikStores returns stores on fresh databases of client, not created yet: the first write
// creates them, as for a new instance.
func kivikStores(client *kivik.Client) newStoreFunc {
	return func(t *testing.T) Store {
		t.Helper()
		name := store.DBName(fmt.Sprintf("%08x", dbSeq.Add(1)), "io.hearth.owner")
		return KivikStore{DB: client.DB(name)}
	}
}

type testOwner struct {
	*Owner
	clock    *fakeClock
	hasher   *Hasher
	throttle *Throttle
	store    Store
}

// newOwner returns an Owner on st with a fake clock and cheap hashing; mod may adjust the
// config.
func newOwner(t *testing.T, st Store, mod ...func(*Config)) *testOwner {
	t.Helper()
	to := &testOwner{clock: newClock(), hasher: NewHasher(cheapParams(), 4), throttle: NewThrottle(0), store: st}
	cfg := Config{Store: st, Instance: "0123abcd", Label: "alice.example", Hasher: to.hasher, Throttle: to.throttle, Now: to.clock.Now, Secret: testSecret}
	for _, m := range mod {
		m(&cfg)
	}
	o, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	to.Owner = o
	return to
}

const testPass = "correct horse battery staple"

// onboarded returns an Owner whose passphrase is testPass.
func onboarded(t *testing.T, st Store, mod ...func(*Config)) *testOwner {
	t.Helper()
	o := newOwner(t, st, mod...)
	ctx := context.Background()
	tok, _, err := o.NewOnboarding(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Onboard(ctx, tok, testPass); err != nil {
		t.Fatal(err)
	}
	return o
}

// login logs in with testPass from addr, failing the test on error.
func (o *testOwner) login(t *testing.T, code, addr string) (string, SessionInfo) {
	t.Helper()
	cookie, info, err := o.Login(context.Background(), testPass, code, ClientInfo{Addr: addr, UserAgent: "test"})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	return cookie, info
}
