package gitsource

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
)

// lfsPrefixes begin Git LFS pointer files.
var lfsPrefixes = [][]byte{
	[]byte("version https://git-lfs.github.com/spec/"),
	[]byte("version https://hawser.github.com/spec/"),
}

// maxLFSPointer is the size above which a file is not an LFS pointer.
const maxLFSPointer = 1024

// walker checks a tree's entries and collects its files.
type walker struct {
	sto    *memory.Storage
	policy Policy
	snap   *Snapshot
	seen   map[string]string // case-folded path → path
	count  int               // entries walked
}

// snapshotOf checks the tree of commit under policy.
func snapshotOf(sto *memory.Storage, commit *object.Commit, policy Policy) (*Snapshot, error) {
	w := &walker{
		sto:    sto,
		policy: policy,
		snap:   &Snapshot{Commit: commit.Hash.String(), Tree: commit.TreeHash.String()},
		seen:   map[string]string{},
	}
	if err := w.walk(commit.TreeHash, "", 1); err != nil {
		return nil, err
	}
	w.snap.index()
	return w.snap, nil
}

// walk checks the entries of the tree h found at dir (depth components).
func (w *walker) walk(h plumbing.Hash, dir string, depth int) error {
	tree, err := object.GetTree(w.sto, h)
	if err != nil {
		return fmt.Errorf("%w: tree %s of %q not received: %w", ErrUnreachable, h, dir, err)
	}
	for _, e := range tree.Entries {
		p := dir + e.Name
		if err := w.checkEntry(e, p, depth); err != nil {
			return err
		}
		if e.Mode == filemode.Dir {
			if err := w.walk(e.Hash, p+"/", depth+1); err != nil {
				return err
			}
			continue
		}
		if err := w.addFile(e, p); err != nil {
			return err
		}
	}
	return nil
}

// checkEntry applies the checks common to files and directories.
func (w *walker) checkEntry(e object.TreeEntry, p string, depth int) error {
	if err := checkName(e.Name); err != nil {
		return fmt.Errorf("%w: %q: %s", ErrPath, p, err)
	}
	if depth > w.policy.MaxDepth {
		return fmt.Errorf("%w: %q is nested deeper than %d levels", ErrPath, p, w.policy.MaxDepth)
	}
	if w.count++; w.count > w.policy.MaxFiles {
		return fmt.Errorf("%w: more than %d files and directories", ErrTooManyFiles, w.policy.MaxFiles)
	}
	folded := strings.ToLower(p)
	if other, ok := w.seen[folded]; ok {
		return fmt.Errorf("%w: %q and %q differ only in case", ErrPath, other, p)
	}
	w.seen[folded] = p
	switch {
	case e.Mode == filemode.Submodule:
		return fmt.Errorf("%w: %q is a submodule", ErrSubmodule, p)
	case strings.EqualFold(e.Name, ".gitmodules"):
		return fmt.Errorf("%w: %q declares submodules", ErrSubmodule, p)
	case e.Mode == filemode.Symlink:
		return fmt.Errorf("%w: %q is a symbolic link", ErrSymlink, p)
	case e.Mode == filemode.Dir, e.Mode == filemode.Regular,
		e.Mode == filemode.Executable, e.Mode == filemode.Deprecated:
		return nil
	}
	return fmt.Errorf("%w: %q has unsupported mode %s", ErrPath, p, e.Mode)
}

// addFile checks a file's size and content kind and records it.
func (w *walker) addFile(e object.TreeEntry, p string) error {
	size, err := w.sto.EncodedObjectSize(e.Hash)
	if err != nil {
		return fmt.Errorf("%w: blob of %q not received: %w", ErrUnreachable, p, err)
	}
	if size > w.policy.MaxFileBytes {
		return fmt.Errorf("%w: %q is %d bytes, more than %d", ErrFileTooLarge, p, size, w.policy.MaxFileBytes)
	}
	if w.snap.Size += size; w.snap.Size > w.policy.MaxBytes {
		return fmt.Errorf("%w: the files add up to more than %d bytes", ErrTooLarge, w.policy.MaxBytes)
	}
	mode := fs.FileMode(0o644)
	if e.Mode == filemode.Executable {
		mode = 0o755
	}
	f := blobFile(p, mode, size, w.sto, e.Hash)
	if size <= maxLFSPointer {
		if lfs, err := isLFSPointer(f); err != nil {
			return err
		} else if lfs {
			return fmt.Errorf("%w: %q is a Git LFS pointer", ErrLFS, p)
		}
	}
	w.snap.Files = append(w.snap.Files, f)
	return nil
}

// isLFSPointer reports whether the file's content starts like an LFS pointer.
func isLFSPointer(f File) (bool, error) {
	r, err := f.Open()
	if err != nil {
		return false, err
	}
	defer r.Close()
	head := make([]byte, 64)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return false, fmt.Errorf("gitsource: read %s: %w", f.Path, err)
	}
	for _, prefix := range lfsPrefixes {
		if bytes.HasPrefix(head[:n], prefix) {
			return true, nil
		}
	}
	return false, nil
}
