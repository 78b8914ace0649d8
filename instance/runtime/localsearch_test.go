package runtime_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/instance/runtime"
)

// A node app reaches the runtime at the listener's address (HEARTH_URL) with its token, which
// names its instance: search answers it there as /data does, and only with a token.
func TestSearchByTheListenersAddress(t *testing.T) {
	h := start(t, runtime.Config{})
	h.addInstance(t, "alice.test")
	tok := h.token(t, "alice.test", "io.hearth.notes")
	if st, _ := h.do(t, http.MethodPut, "http://alice.test/data/io.hearth.notes/n1", tok, map[string]any{"title": "pickled herring"}); st != http.StatusCreated {
		t.Fatalf("put: %d", st)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, body := h.do(t, http.MethodGet, "http://127.0.0.1/search?q=herring", tok, nil)
		if st == http.StatusOK && body["total"] == float64(1) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("search by address: %d %v", st, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st, _ := h.do(t, http.MethodGet, "http://127.0.0.1/search?q=herring", "", nil); st != http.StatusNotFound {
		t.Errorf("search by address without a token: %d, want 404 (no instance named)", st)
	}
}
