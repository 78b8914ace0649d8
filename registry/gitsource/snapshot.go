package gitsource

import (
	"fmt"
	"io"
	"io/fs"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/memory"
)

// Snapshot is a checked tree of one commit, held in memory.
type Snapshot struct {
	URL    string // the URL it was fetched from
	Ref    string // the ref asked for ("" for HEAD)
	Commit string // commit hash
	Tree   string // the commit's root tree hash: the content's identity
	Size   int64  // total size of the files
	Files  []File // sorted by path

	byPath map[string]int // index into Files
}

// File is a regular file of a Snapshot.
type File struct {
	Path string      // slash-separated, relative, checked
	Mode fs.FileMode // 0o644, or 0o755 for executables
	Size int64

	open func() (io.ReadCloser, error)
}

// NewFile describes a file of another source than Git (a registry
// archive, say) for NewSnapshot: open returns its content, size bytes long.
// An executable mode becomes 0755, any other 0644.
func NewFile(path string, mode fs.FileMode, size int64, open func() (io.ReadCloser, error)) File {
	f := File{Path: path, Mode: 0o644, Size: size, open: open}
	if mode&0o111 != 0 {
		f.Mode = 0o755
	}
	return f
}

// blobFile returns a File whose content is a blob of sto.
func blobFile(path string, mode fs.FileMode, size int64, sto *memory.Storage, blob plumbing.Hash) File {
	return File{Path: path, Mode: mode, Size: size, open: func() (io.ReadCloser, error) {
		obj, err := sto.EncodedObject(plumbing.BlobObject, blob)
		if err != nil {
			return nil, err
		}
		return obj.Reader()
	}}
}

// Open returns the file's content.
func (f File) Open() (io.ReadCloser, error) {
	if f.open == nil {
		return nil, fmt.Errorf("%w: %s has no content", ErrNotFound, f.Path)
	}
	r, err := f.open()
	if err != nil {
		return nil, fmt.Errorf("gitsource: open %s: %w", f.Path, err)
	}
	return r, nil
}

// Lookup returns the file at path.
func (s *Snapshot) Lookup(path string) (File, bool) {
	i, ok := s.byPath[path]
	if !ok {
		return File{}, false
	}
	return s.Files[i], true
}

// ReadFile returns the content of the file at path, for example the app's
// manifest. It fails with ErrNotFound when there is no such file.
func (s *Snapshot) ReadFile(path string) ([]byte, error) {
	f, ok := s.Lookup(path)
	if !ok {
		return nil, fmt.Errorf("%w: no file %q in tree %s", ErrNotFound, path, s.Tree)
	}
	r, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, f.Size))
}

// index sorts the files and builds the path index.
func (s *Snapshot) index() {
	sort.Slice(s.Files, func(i, j int) bool { return s.Files[i].Path < s.Files[j].Path })
	s.byPath = make(map[string]int, len(s.Files))
	for i, f := range s.Files {
		s.byPath[f.Path] = i
	}
}
