package runtime_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hearth-cloud/hearth/instance/datasys/datasystest"
	"github.com/hearth-cloud/hearth/instance/runtime"
)

func TestConformanceThroughRuntime(t *testing.T) {
	backends(t, func(t *testing.T, cfg runtime.Config) {
		h := start(t, cfg)
		h.addInstance(t, "conformance.test")
		var n atomic.Int64
		datasystest.Run(t, func(t *testing.T) datasystest.Target {
			doctype := fmt.Sprintf("io.hearth.conf%d", n.Add(1))
			tok := h.token(t, "conformance.test", doctype)
			return datasystest.Target{
				URL:         "http://conformance.test/data/" + doctype,
				Client:      &http.Client{Transport: bearer{token: tok, base: h.client.Transport}},
				Hearth:      true,
				OverPouchDB: cfg.CouchDBURL != "",
			}
		})
	})
}

func TestIsolation(t *testing.T) {
	backends(t, func(t *testing.T, cfg runtime.Config) {
		h := start(t, cfg)
		h.addInstance(t, "alice.test")
		h.addInstance(t, "bob.test")
		notes := "io.hearth.notes"
		alice := h.token(t, "alice.test", notes)
		aliceRead := h.token(t, "alice.test", notes+":GET")
		aliceTodos := h.token(t, "alice.test", "io.hearth.todos")
		bob := h.token(t, "bob.test", notes)
		a, b := "http://alice.test/data/"+notes, "http://bob.test/data/"+notes

		if st, _ := h.do(t, "PUT", a+"/secret", alice, map[string]any{"v": "alice's"}); st != 201 {
			t.Fatalf("alice writes: %d", st)
		}
		if st, _ := h.do(t, "PUT", b+"/secret", bob, map[string]any{"v": "bob's"}); st != 201 {
			t.Fatalf("bob writes: %d", st)
		}
		tests := []struct {
			name, method, url, token string
			body                     any
			status                   int
		}{
			{"no token", "GET", a + "/secret", "", nil, 401},
			{"garbage token", "GET", a + "/secret", "not-a-token", nil, 401},
			{"bob's token on alice", "GET", a + "/secret", bob, nil, 401},
			{"alice's token on bob", "GET", b + "/secret", alice, nil, 401},
			{"alice's token on bob, write", "PUT", b + "/other", alice, map[string]any{}, 401},
			{"token for another doctype", "GET", a + "/secret", aliceTodos, nil, 403},
			{"read-only token writes", "PUT", a + "/new", aliceRead, map[string]any{}, 403},
			{"read-only token deletes", "DELETE", a + "/secret?rev=1-x", aliceRead, nil, 403},
			{"read-only token bulk writes", "POST", a + "/_bulk_docs", aliceRead, map[string]any{"docs": []any{map[string]any{}}}, 403},
			{"read-only token reads", "GET", a + "/secret", aliceRead, nil, 200},
			{"read-only token finds", "POST", a + "/_find", aliceRead, map[string]any{"selector": map[string]any{}}, 200},
			{"unknown host", "GET", "http://nobody.test/data/" + notes + "/secret", alice, nil, 404},
			{"bad doctype", "GET", "http://alice.test/data/Notes/x", alice, nil, 400},
			{"design doc", "GET", a + "/_design/x", alice, nil, 403},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				st, body := h.do(t, tt.method, tt.url, tt.token, tt.body)
				if st != tt.status {
					t.Fatalf("status %d, want %d (%v)", st, tt.status, body)
				}
				if st >= 400 && (body["error"] == nil || body["reason"] == nil) {
					t.Errorf("error body %v lacks error/reason", body)
				}
			})
		}
		_, got := h.do(t, "GET", a+"/secret", alice, nil)
		if got["v"] != "alice's" {
			t.Errorf("alice's doc = %v after the attempts", got)
		}
		_, got = h.do(t, "GET", b+"/secret", bob, nil)
		if got["v"] != "bob's" {
			t.Errorf("bob's doc = %v after the attempts", got)
		}
	})
}

func TestRemovedInstance(t *testing.T) {
	backends(t, func(t *testing.T, cfg runtime.Config) {
		h := start(t, cfg)
		h.addInstance(t, "gone.test")
		h.addInstance(t, "stays.test")
		tok := h.token(t, "gone.test", "io.hearth.notes")
		keep := h.token(t, "stays.test", "io.hearth.notes")
		for _, host := range []string{"gone.test", "stays.test"} {
			token := tok
			if host == "stays.test" {
				token = keep
			}
			if st, _ := h.do(t, "PUT", "http://"+host+"/data/io.hearth.notes/n1", token, map[string]any{"v": 1}); st != 201 {
				t.Fatalf("write on %s: %d", host, st)
			}
		}
		if err := h.admin.RemoveInstance(context.Background(), "gone.test"); err != nil {
			t.Fatal(err)
		}
		if st, _ := h.do(t, "PUT", "http://gone.test/data/io.hearth.notes/n2", tok, map[string]any{}); st != 404 {
			t.Errorf("write to a removed instance: %d, want 404", st)
		}
		if _, err := h.admin.ShowInstance(context.Background(), "gone.test"); err == nil || !strings.Contains(err.Error(), "no such instance") {
			t.Errorf("show removed instance: %v", err)
		}
		// Re-adding the domain gives a new, empty instance that the old token cannot open.
		h.addInstance(t, "gone.test")
		if st, _ := h.do(t, "GET", "http://gone.test/data/io.hearth.notes/n1", tok, nil); st != 401 {
			t.Errorf("old token on the re-added instance: %d, want 401", st)
		}
		fresh := h.token(t, "gone.test", "io.hearth.notes")
		if st, _ := h.do(t, "GET", "http://gone.test/data/io.hearth.notes/n1", fresh, nil); st != 404 {
			t.Errorf("data of the removed instance still readable: %d", st)
		}
		if st, _ := h.do(t, "GET", "http://stays.test/data/io.hearth.notes/n1", keep, nil); st != 200 {
			t.Errorf("the other instance lost its data: %d", st)
		}
	})
}
