package proxy_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/hearth-cloud/hearth/instance/proxy"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

func ExampleParseAppHost() {
	isInstance := func(domain string) bool { return domain == "alice.example:8080" || domain == "bob.example.com" }
	h, err := proxy.ParseAppHost("notes.alice.example:8080", isInstance, proxy.FlatScheme{})
	fmt.Println(h.Slug, h.Instance, err)
	h, err = proxy.ParseAppHost("bob-notes.example.com", isInstance, proxy.FlatScheme{Enabled: true, Domain: "example.com"})
	fmt.Println(h.Slug, h.Instance, err)
	// Output:
	// notes alice.example:8080 <nil>
	// notes bob.example.com <nil>
}

// The runtime mounts one Static per installed static app and instance, and hearth.js. Every
// Static shares the runtime's one FileCache.
func ExampleNewStatic() {
	cache := proxy.NewFileCache(proxy.DefaultFileCacheSize) // one per runtime
	var m *manifest.Manifest                                // the installed version's manifest
	app, err := proxy.NewStatic(proxy.StaticApp{
		Dir:      "/var/lib/hearth/trees/ab/cdef…",
		TreeHash: "abcdef…",
		Cache:    cache,
		Manifest: m,
		Instance: "https://alice.example",
		Gate:     func(r *http.Request) bool { return false /* a valid owner session for this app? */ },
		TokenFor: func(r *http.Request) (string, error) { return "" /* token for the approved scopes */, nil },
		TokenTTL: 10 * time.Minute,
	})
	if err != nil {
		return
	}
	defer app.Close()
	mux := http.NewServeMux()
	mux.Handle("GET /hearth.js", proxy.ClientScript())
	mux.Handle("/", app)
}
