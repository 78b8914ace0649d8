package proxy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"os"
	"path"
	"strconv"
	"strings"
)

// lookup finds the regular file name stands for (a directory's index.html) without following
// any symbolic link: every component is checked with Lstat, inside the root.
func (s *Static) lookup(name string) (file string, info fs.FileInfo, isDir bool, err error) {
	info, err = s.lstatChain(name)
	if err != nil {
		return "", nil, false, err
	}
	if info.IsDir() {
		isDir = true
		name = path.Join(name, "index.html")
		if info, err = s.root.Lstat(name); err != nil {
			return "", nil, true, fmt.Errorf("%w: %w", ErrNotFound, err)
		}
	}
	if !info.Mode().IsRegular() {
		return "", nil, isDir, fmt.Errorf("%w: %s is not a regular file", ErrNotFound, name)
	}
	return name, info, isDir, nil
}

func (s *Static) lstatChain(name string) (fs.FileInfo, error) {
	if name == "." {
		return s.root.Lstat(".")
	}
	var info fs.FileInfo
	for i := 0; i <= len(name); i++ {
		if i < len(name) && name[i] != '/' {
			continue
		}
		var err error
		if info, err = s.root.Lstat(name[:i]); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%w: %s is a symbolic link", ErrNotFound, name[:i])
		}
	}
	return info, nil
}

// open opens the file lookup found and checks it is still the same file.
func (s *Static) open(name string, want fs.FileInfo) (*os.File, error) {
	f, err := s.root.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	got, err := f.Stat()
	if err != nil || !os.SameFile(got, want) {
		f.Close()
		return nil, fmt.Errorf("%w: %s changed", ErrNotFound, name)
	}
	return f, nil
}

// etag names a file's version: from the tree's content hash when known, else from its size
// and modification time.
func (s *Static) etag(name string, info fs.FileInfo) string {
	if s.app.TreeHash != "" {
		sum := sha256.Sum256([]byte(s.app.TreeHash + "\x00" + name))
		return `"` + hex.EncodeToString(sum[:12]) + `"`
	}
	return `"` + strconv.FormatInt(info.Size(), 16) + "-" + strconv.FormatInt(info.ModTime().UnixNano(), 16) + `"`
}

func isHTML(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".html" || ext == ".htm"
}

// webTypes are the types of the files web apps are made of, so that serving does not depend
// on the system's mime.types.
var webTypes = map[string]string{
	".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
	".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
	".mjs": "text/javascript; charset=utf-8", ".json": "application/json",
	".map": "application/json", ".webmanifest": "application/manifest+json",
	".txt": "text/plain; charset=utf-8", ".md": "text/markdown; charset=utf-8",
	".xml": "application/xml", ".svg": "image/svg+xml", ".png": "image/png",
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
	".avif": "image/avif", ".ico": "image/x-icon", ".woff": "font/woff", ".woff2": "font/woff2",
	".ttf": "font/ttf", ".otf": "font/otf", ".wasm": "application/wasm", ".pdf": "application/pdf",
	".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".wav": "audio/wav", ".mp4": "video/mp4",
	".webm": "video/webm",
}

// contentType is the type of a file by its extension; application/octet-stream when unknown,
// never sniffed.
func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := webTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}
