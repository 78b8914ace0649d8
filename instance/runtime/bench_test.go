package runtime_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hearth-cloud/hearth/instance/runtime"
)

// BenchmarkStaticAppFile measures the runtime's handler serving a small file of an installed
// static app on its origin, without the network: host routing, the app's record, the gate and
// the file cache.
func BenchmarkStaticAppFile(b *testing.B) {
	h := start(b, runtime.Config{AllowPrivateGit: true})
	h.addInstance(b, "alice.test")
	if err := installViaAdmin(b, h, "alice.test", fixtureRepo(b, "static-notes")); err != nil {
		b.Fatal(err)
	}
	handler := h.rt.Public()
	req := httptest.NewRequest(http.MethodGet, "http://notes.alice.test/public/about.css", nil)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			handler.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatal(w.Code)
			}
		}
	})
}
