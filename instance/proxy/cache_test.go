package proxy

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func testEntry(size int) *fileEntry { return &fileEntry{name: "f", data: make([]byte, size)} }

func TestFileCacheLRU(t *testing.T) {
	t.Parallel()
	const size = 1000
	per := testEntry(size).cost() + int64(len("tree")+len("a")) + entryOverhead
	c := NewFileCache(3 * per)
	key := func(name string) cacheKey { return cacheKey{tree: "tree", name: name} }
	for _, name := range []string{"a", "b", "c"} {
		c.put(key(name), testEntry(size))
	}
	if files, bytes := c.Stats(); files != 3 || bytes != 3*per {
		t.Fatalf("Stats %d files %d bytes, want 3 and %d", files, bytes, 3*per)
	}
	c.get(key("a")) // b is now the least recently used
	c.put(key("d"), testEntry(size))
	for name, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if got := c.get(key(name)) != nil; got != want {
			t.Errorf("%s cached: %v, want %v", name, got, want)
		}
	}
	if files, bytes := c.Stats(); files != 3 || bytes > 3*per {
		t.Fatalf("Stats %d files %d bytes, over the bound %d", files, bytes, 3*per)
	}
	// The first entry put under a key stays: concurrent misses all serve the same one.
	first := c.get(key("a"))
	if got := c.put(key("a"), testEntry(size)); got != first {
		t.Fatal("put replaced an entry")
	}
	// Other trees are other keys.
	if c.get(cacheKey{tree: "other", name: "a"}) != nil {
		t.Fatal("a file of another tree")
	}
	// Too large for the whole cache: served, not kept.
	big := testEntry(int(4 * per))
	if got := c.put(key("big"), big); got != big || c.get(key("big")) != nil {
		t.Fatal("an entry larger than the cache was kept")
	}
	var nilCache *FileCache
	if nilCache.get(key("a")) != nil || nilCache.put(key("a"), first) != first || nilCache.fits(1) {
		t.Fatal("a nil cache cached")
	}
}

func TestFileCacheConcurrent(t *testing.T) {
	t.Parallel()
	c := NewFileCache(20 * (100 + entryOverhead + 10))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				k := cacheKey{tree: "t", name: fmt.Sprint((g * i) % 50)}
				if c.get(k) == nil {
					c.put(k, testEntry(100))
				}
			}
		})
	}
	wg.Wait()
	files, size := c.Stats()
	if files == 0 || size > c.max {
		t.Fatalf("Stats %d files %d bytes, bound %d", files, size, c.max)
	}
	// The ring and the map agree.
	n := 0
	for e := c.lru.next; e != &c.lru; e = e.next {
		if c.byKey[e.key] != e {
			t.Fatalf("entry %v is not the map's", e.key)
		}
		n++
	}
	if n != files {
		t.Fatalf("%d entries in the ring, %d in the map", n, files)
	}
}

// cachedStatic serves a copy of the fixture through cache, as the tree hash.
func cachedStatic(t *testing.T, dir, hash string, cache *FileCache, edit ...func(*StaticApp)) *Static {
	t.Helper()
	return newTestStatic(t, dir, append([]func(*StaticApp){func(a *StaticApp) {
		a.TreeHash, a.Cache = hash, cache
	}}, edit...)...)
}

func TestStaticServesFromCache(t *testing.T) {
	t.Parallel()
	dir := copyTree(t, fixtureDir("static-notes"))
	cache := NewFileCache(0)
	alice := cachedStatic(t, dir, "sha256:tree", cache)
	bob := cachedStatic(t, dir, "sha256:tree", cache, func(a *StaticApp) { a.Instance = "http://bob.test:8080" })
	want, err := os.ReadFile(filepath.Join(dir, "css", "style.css"))
	if err != nil {
		t.Fatal(err)
	}
	first := do(t, alice, "GET", "/css/style.css", true)
	if b := body(t, first); first.StatusCode != 200 || b != string(want) {
		t.Fatalf("first GET: %d %q", first.StatusCode, b)
	}
	for _, page := range []string{"/", "/public", "/nope"} { // a page, a directory, the 404 page
		do(t, alice, "GET", page, true)
	}
	files, _ := cache.Stats()
	// Trees never change: once cached, a file is served from memory, even to another
	// instance, and even if it went from the disk.
	for _, name := range []string{"css/style.css", "index.html", "public/index.html", "404.html"} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []*Static{alice, bob} {
		res := do(t, s, "GET", "/css/style.css", true)
		if b := body(t, res); res.StatusCode != 200 || b != string(want) || res.Header.Get("ETag") != first.Header.Get("ETag") {
			t.Fatalf("cached GET: %d %q %v", res.StatusCode, b, res.Header)
		}
		res = do(t, s, "GET", "/public", false)
		if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "./public/" {
			t.Fatalf("cached directory: %d %v", res.StatusCode, res.Header)
		}
		for target, code := range map[string]int{"/": 200, "/public/": 200, "/nope": 404} {
			res = do(t, s, "GET", target, true)
			if b := body(t, res); res.StatusCode != code || !strings.Contains(b, `"token":"tok-123"`) {
				t.Fatalf("cached page %s: %d %q", target, res.StatusCode, b)
			}
		}
	}
	// Each instance keeps its own policy.
	res := do(t, bob, "GET", "/css/style.css", true)
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' http://bob.test:8080 ws://bob.test:8080") {
		t.Fatalf("bob's CSP: %q", csp)
	}
	if now, _ := cache.Stats(); now != files {
		t.Fatalf("%d files cached, then %d: the second instance did not share them", files, now)
	}
}

func TestStaticCacheNeedsTreeHash(t *testing.T) {
	t.Parallel()
	cache := NewFileCache(0)
	s := cachedStatic(t, fixtureDir("static-notes"), "", cache)
	if res := do(t, s, "GET", "/css/style.css", true); res.StatusCode != 200 {
		t.Fatalf("GET: %d", res.StatusCode)
	}
	if files, _ := cache.Stats(); files != 0 {
		t.Fatalf("%d files cached without a tree hash", files)
	}
}

func TestStaticLargeFile(t *testing.T) {
	t.Parallel()
	dir := copyTree(t, fixtureDir("static-notes"))
	data := bytes.Repeat([]byte("0123456789abcdef"), MaxCachedFile/16+1)
	if err := os.WriteFile(filepath.Join(dir, "big.txt"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	cache := NewFileCache(0)
	s := cachedStatic(t, dir, "sha256:big", cache)
	for range 2 {
		res := do(t, s, "GET", "/big.txt", true, "Accept-Encoding", "gzip")
		if b := body(t, res); res.StatusCode != 200 || b != string(data) || res.Header.Get("Content-Encoding") != "" {
			t.Fatalf("GET /big.txt: %d, %d bytes, %v", res.StatusCode, len(b), res.Header)
		}
	}
	res := do(t, s, "GET", "/big.txt", true, "Range", "bytes=16-31")
	if b := body(t, res); res.StatusCode != http.StatusPartialContent || b != string(data[16:32]) {
		t.Fatalf("Range: %d %q", res.StatusCode, b)
	}
	if files, _ := cache.Stats(); files != 0 {
		t.Fatalf("a file over MaxCachedFile was cached")
	}
}

func TestStaticGzip(t *testing.T) {
	t.Parallel()
	dir := copyTree(t, fixtureDir("static-notes"))
	want, err := os.ReadFile(filepath.Join(dir, "public", "about.css"))
	if err != nil {
		t.Fatal(err)
	}
	s := cachedStatic(t, dir, "sha256:gz", NewFileCache(0))
	plain := do(t, s, "GET", "/public/about.css", false)
	body(t, plain)
	tests := []struct {
		name   string
		accept string
		gzip   bool
	}{
		{"none", "", false},
		{"gzip", "gzip", true},
		{"list", "br;q=1.0, gzip;q=0.8, deflate", true},
		{"upper case", "GZIP", true},
		{"refused", "gzip;q=0, deflate", false},
		{"refused with decimals", "gzip; q=0.000", false},
		{"low weight still accepts", "gzip;q=0.01", true},
		{"other codings", "br, deflate", false},
		{"not a prefix", "gzipx", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, method := range []string{"GET", "HEAD"} {
				res := do(t, s, method, "/public/about.css", false, "Accept-Encoding", tt.accept)
				b := []byte(body(t, res))
				if res.StatusCode != 200 || res.Header.Get("Vary") != "Accept-Encoding" {
					t.Fatalf("%s: %d, Vary %q", method, res.StatusCode, res.Header.Get("Vary"))
				}
				checkSecurityHeaders(t, res)
				gz := res.Header.Get("Content-Encoding") == "gzip"
				if gz != tt.gzip {
					t.Fatalf("%s: Content-Encoding %q, want gzip %v", method, res.Header.Get("Content-Encoding"), tt.gzip)
				}
				if !gz {
					if method == "GET" && !bytes.Equal(b, want) || res.Header.Get("ETag") != plain.Header.Get("ETag") {
						t.Fatalf("%s identity: %q %v", method, b, res.Header)
					}
					continue
				}
				etag := res.Header.Get("ETag")
				if etag == plain.Header.Get("ETag") || res.Header.Get("Content-Type") != "text/css; charset=utf-8" {
					t.Fatalf("the gzip variant's headers: %v", res.Header)
				}
				if method == "HEAD" {
					if len(b) != 0 || res.Header.Get("Content-Length") == fmt.Sprint(len(want)) {
						t.Fatalf("HEAD: %d bytes, Content-Length %s", len(b), res.Header.Get("Content-Length"))
					}
					continue
				}
				if res.Header.Get("Content-Length") != fmt.Sprint(len(b)) || len(b) >= len(want) {
					t.Fatalf("gzip: %d bytes, Content-Length %s", len(b), res.Header.Get("Content-Length"))
				}
				zr, err := gzip.NewReader(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				if got, err := io.ReadAll(zr); err != nil || !bytes.Equal(got, want) {
					t.Fatalf("gunzip: %v, %q", err, got)
				}
				again := do(t, s, "GET", "/public/about.css", false, "Accept-Encoding", tt.accept, "If-None-Match", etag)
				if again.StatusCode != http.StatusNotModified || again.Header.Get("Content-Encoding") != "" {
					t.Fatalf("If-None-Match of the gzip variant: %d %v", again.StatusCode, again.Header)
				}
			}
		})
	}
	// Small files and images are sent as they are, and vary on nothing.
	for _, target := range []string{"/css/style.css", "/icon.svg"} {
		res := do(t, s, "GET", target, true, "Accept-Encoding", "gzip")
		if res.Header.Get("Content-Encoding") != "" || res.Header.Get("Vary") != "" {
			t.Errorf("GET %s: %v", target, res.Header)
		}
	}
	// A range is of the file itself.
	res := do(t, s, "GET", "/public/about.css", false, "Accept-Encoding", "gzip", "Range", "bytes=0-3")
	if b := body(t, res); res.StatusCode != http.StatusPartialContent || b != string(want[:4]) || res.Header.Get("Content-Encoding") != "" {
		t.Fatalf("Range with gzip accepted: %d %q %v", res.StatusCode, b, res.Header)
	}
}

func TestStaticPagesFromCache(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	issued := 0
	s := cachedStatic(t, fixtureDir("static-notes"), "sha256:pages", NewFileCache(0), func(a *StaticApp) {
		a.TokenFor = func(*http.Request) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			issued++
			return fmt.Sprintf("tok-%d", issued), nil
		}
	})
	seen := map[string]bool{}
	for i := 1; i <= 3; i++ {
		res := do(t, s, "GET", "/", true)
		nonce, cfg := pageConfig(t, body(t, res))
		if cfg.Token == nil || *cfg.Token != fmt.Sprintf("tok-%d", i) || seen[nonce] {
			t.Fatalf("request %d: token %v nonce %q (seen %v)", i, cfg.Token, nonce, seen)
		}
		seen[nonce] = true
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "'nonce-"+nonce+"'") {
			t.Fatalf("CSP %q lacks the page's nonce", csp)
		}
	}
}

// Responses share header values; what a handler downstream adds to one response never shows
// in another.
func TestSharedHeaderValues(t *testing.T) {
	t.Parallel()
	s := cachedStatic(t, fixtureDir("static-notes"), "sha256:shared", NewFileCache(0))
	serve := func(added string) http.Header {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("GET", "/public/about.css", nil))
		h := w.Header()
		for _, k := range []string{"Vary", "X-Content-Type-Options", "Cache-Control", "Etag"} {
			h.Add(k, added)
		}
		return h
	}
	first := serve("first")
	serve("second")
	for _, k := range []string{"Vary", "X-Content-Type-Options", "Cache-Control", "Etag"} {
		if got := first.Values(k); len(got) != 2 || got[1] != "first" {
			t.Errorf("%s of the first response: %q", k, got)
		}
	}
}
