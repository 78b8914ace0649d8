package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/instance/admin"
	"github.com/hearth-cloud/hearth/instance/runtime"
	_ "github.com/hearth-cloud/hearth/instance/store/embedded"
	"github.com/hearth-cloud/hearth/internal/testsvc"
)

// harness is one runtime serving on loopback, reached for any instance domain through a client
// that dials its public listener.
type harness struct {
	rt      *runtime.Runtime
	pub     string // public listener address
	dataDir string
	admin   *admin.Client
	client  *http.Client
}

func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// start runs a runtime with cfg (DataDir defaults to a temporary directory) until the test ends.
func start(t testing.TB, cfg runtime.Config) *harness {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
		// Node apps run as users of their own when the tests run as root: they must be able to
		// traverse to their directories (t.TempDir's parent is private).
		if err := os.Chmod(filepath.Dir(cfg.DataDir), 0o711); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	rt, err := runtime.New(ctx, cfg, testLogger())
	if err != nil {
		cancel()
		t.Fatalf("runtime.New: %v", err)
	}
	pub, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adm, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- rt.ServeListeners(ctx, pub, adm) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeListeners: %v", err)
		}
		if err := rt.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	h := &harness{rt: rt, pub: pub.Addr().String(), dataDir: cfg.DataDir}
	h.admin = &admin.Client{URL: "http://" + adm.Addr().String(), Secret: rt.AdminSecret()}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, h.pub)
		},
		DisableCompression: true,
	}
	h.client = &http.Client{Transport: tr, Timeout: 60 * time.Second}
	return h
}

func (h *harness) addInstance(t testing.TB, domain string) {
	t.Helper()
	if _, err := h.admin.AddInstance(context.Background(), domain); err != nil {
		t.Fatalf("add instance %s: %v", domain, err)
	}
}

func (h *harness) token(t *testing.T, domain string, scopes ...string) string {
	t.Helper()
	tok, err := h.admin.Token(context.Background(), domain, admin.TokenRequest{Scopes: scopes})
	if err != nil {
		t.Fatalf("token on %s: %v", domain, err)
	}
	return tok
}

// do sends a request to url with token (none if empty) and returns the status and decoded body.
func (h *harness) do(t *testing.T, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// bearer adds a token to every request and sends them to the harness.
type bearer struct {
	token string
	base  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(r)
}

// backends runs f once per storage backend.
func backends(t *testing.T, f func(t *testing.T, cfg runtime.Config)) {
	t.Run("embedded", func(t *testing.T) { f(t, runtime.Config{}) })
	t.Run("couchdb", func(t *testing.T) { f(t, runtime.Config{CouchDBURL: testsvc.PouchDBServer(t)}) })
}
