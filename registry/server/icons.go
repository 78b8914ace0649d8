package server

import (
	"errors"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/hearth-cloud/hearth/registry/archive"
	"github.com/hearth-cloud/hearth/registry/gitsource"
	"github.com/hearth-cloud/hearth/registry/manifest"
	"github.com/hearth-cloud/hearth/registry/store"
)

// MaxIconBytes bounds an icon served.
const MaxIconBytes = 1 << 20

// iconTypes are the content types of the icon files a manifest may name.
var iconTypes = map[string]string{".svg": "image/svg+xml", ".png": "image/png", ".webp": "image/webp",
	".jpg": "image/jpeg", ".jpeg": "image/jpeg"}

// icon serves the icon file of the app's latest version, read from its
// archive, sandboxed: an SVG runs no script and loads nothing.
func (s *Server) icon(c *gin.Context) error {
	app, err := s.appOf(c)
	if err != nil {
		return err
	}
	var v *store.Version
	for _, ch := range []manifest.Channel{manifest.ChannelStable, manifest.ChannelBeta, manifest.ChannelDev} {
		if v, err = s.latest(c, app, ch); err == nil {
			break
		}
	}
	if v == nil {
		return fail(http.StatusNotFound, "no icon")
	}
	m, err := manifest.Parse(v.Manifest)
	if err != nil || m.Icon == "" {
		return fail(http.StatusNotFound, "no icon")
	}
	ctype, ok := iconTypes[strings.ToLower(path.Ext(m.Icon))]
	if !ok {
		return fail(http.StatusNotFound, "no icon")
	}
	return s.serveImage(c, v.ArchiveSHA256, m.Icon, ctype)
}

// serveImage answers with file from the archive sha256 (through the icon cache), sandboxed:
// an SVG from a repository runs no script and loads nothing.
func (s *Server) serveImage(c *gin.Context, sha256, file, ctype string) error {
	data, err := s.iconData(sha256, file)
	if err != nil {
		return err
	}
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "public, max-age=3600")
	c.Data(http.StatusOK, ctype, data)
	return nil
}

// iconData reads file from the archive sha256, through the cache.
func (s *Server) iconData(sha256, file string) ([]byte, error) {
	key := sha256 + "/" + file
	if data, ok := s.icons.get(key); ok {
		return data, nil
	}
	p, err := s.archives.Path(sha256)
	if err != nil {
		return nil, fail(http.StatusNotFound, "no icon")
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fail(http.StatusNotFound, "no icon: the archive is not here")
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	snap, err := archive.Read(f, sha256, gitsource.Policy{})
	if err != nil {
		return nil, err
	}
	fi, ok := snap.Lookup(file)
	if !ok || fi.Size > MaxIconBytes {
		return nil, fail(http.StatusNotFound, "no icon")
	}
	data, err := snap.ReadFile(file)
	if err != nil {
		return nil, err
	}
	s.icons.put(key, data)
	return data, nil
}

// iconCache keeps the last icons read, up to max of them.
type iconCache struct {
	max   int
	mu    sync.Mutex
	data  map[string][]byte // guarded by mu
	order []string          // guarded by mu: oldest first
}

func newIconCache(max int) *iconCache { return &iconCache{max: max, data: map[string][]byte{}} }

func (c *iconCache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.data[key]
	return d, ok
}

func (c *iconCache) put(key string, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.data[key]; ok {
		return
	}
	if len(c.order) >= c.max {
		delete(c.data, c.order[0])
		c.order = c.order[1:]
	}
	c.data[key] = data
	c.order = append(c.order, key)
}
