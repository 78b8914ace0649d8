package proxy

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// errTooLarge is returned by find for an HTML page larger than MaxHTMLSize.
var errTooLarge = errors.New("proxy: page too large")

// fileEntry is what serving one name of a tree needs. It never changes once built, so that
// one entry serves concurrent requests of every instance with the same tree.
type fileEntry struct {
	name    string // the file served: the name requested, or its directory's index.html
	dir     bool   // the name requested is a directory
	html    bool   // the file gets window.hearth
	modTime time.Time
	data    []byte // the file; nil when it is too large to hold (then streamed from the tree)
	at      int    // for HTML, where the script goes (see InjectScript)
	gz      []byte // data compressed with gzip, when that is worth it; else nil
	// Header values, shared by every response that uses the entry: read-only, each with
	// its capacity equal to its length so that an Add elsewhere copies rather than writes
	// into it.
	ctype, etag, lastMod, length []string
	gzETag, gzLength             []string
}

// cost is what the entry weighs in a FileCache.
func (e *fileEntry) cost() int64 { return int64(len(e.data) + len(e.gz) + len(e.name)) }

// headerValue returns v as a header value that responses may share.
func headerValue(v string) []string { return []string{v} }

// find returns what name stands for: from the cache, else looked up in the tree without
// following any symbolic link (and then cached when the tree hash is known and the file
// small). When the file is not held in memory, f is it, open, and the caller closes it.
// It fails with ErrNotFound when nothing may be served under name, and errTooLarge for a
// page that is too large.
func (s *Static) find(name string) (e *fileEntry, f *os.File, err error) {
	key := cacheKey{tree: s.app.TreeHash, name: name}
	if e := s.cache.get(key); e != nil {
		return e, nil, nil
	}
	file, info, isDir, err := s.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	if f, err = s.open(file, info); err != nil {
		return nil, nil, err
	}
	e = &fileEntry{name: file, dir: isDir, html: isHTML(file), modTime: info.ModTime()}
	ctype := contentType(file)
	e.ctype = headerValue(ctype)
	e.etag = headerValue(s.etag(file, info))
	e.lastMod = headerValue(info.ModTime().UTC().Format(http.TimeFormat))
	e.length = headerValue(strconv.FormatInt(info.Size(), 10))
	switch {
	case e.html && info.Size() > MaxHTMLSize:
		f.Close()
		return nil, nil, fmt.Errorf("%w: %s is %d bytes", errTooLarge, file, info.Size())
	case !e.html && !s.cache.fits(info.Size()):
		return e, f, nil
	}
	e.data, err = io.ReadAll(io.LimitReader(f, info.Size()+1))
	f.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("proxy: read %s: %w", file, err)
	}
	if int64(len(e.data)) != info.Size() {
		return nil, nil, fmt.Errorf("%w: %s changed while read", ErrNotFound, file)
	}
	if e.html {
		e.at = injectAt(e.data)
	}
	if !s.cache.fits(info.Size()) {
		return e, nil, nil
	}
	if compressible(ctype) {
		e.compress()
	}
	return s.cache.put(key, e), nil, nil
}

// Gzip variants are kept for files of at least minGzip bytes that they make at least an
// eighth smaller.
const minGzip = 256

// compress sets the gzip variant of a cached file when it is worth it.
func (e *fileEntry) compress() {
	if len(e.data) < minGzip {
		return
	}
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return
	}
	if _, err := zw.Write(e.data); err != nil || zw.Close() != nil {
		return
	}
	if b.Len() > len(e.data)-len(e.data)/8 {
		return
	}
	e.gz = bytes.Clone(b.Bytes())
	e.gzETag = headerValue(strings.TrimSuffix(e.etag[0], `"`) + `-gz"`)
	e.gzLength = headerValue(strconv.Itoa(len(e.gz)))
}

// compressible reports whether files of a content type are worth compressing: text, not
// images or fonts that are compressed already.
func compressible(ctype string) bool {
	ctype, _, _ = strings.Cut(ctype, ";")
	switch ctype {
	case "application/json", "application/manifest+json", "application/xml", "image/svg+xml",
		"application/wasm", "image/x-icon", "font/ttf", "font/otf":
		return true
	}
	return strings.HasPrefix(ctype, "text/")
}
