package gitsource

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// NewSnapshot checks files from another source than Git (made with
// NewFile) under policy, as Fetch checks a tree, and computes the Git tree
// hash of their content: the same content gets the same Tree, and so the
// same TreeStore entry, whether it came from Git or from an archive. Each
// file is read once to hash it; its size must be the one declared.
func NewSnapshot(files []File, policy Policy) (*Snapshot, error) {
	policy = policy.withDefaults()
	root := &dirNode{}
	snap := &Snapshot{Files: append([]File(nil), files...)}
	entries := 0
	seen := map[string]string{}
	for _, f := range snap.Files {
		n, err := checkSourceFile(f, policy, seen)
		if err != nil {
			return nil, err
		}
		if entries += n; entries > policy.MaxFiles {
			return nil, fmt.Errorf("%w: more than %d files and directories", ErrTooManyFiles, policy.MaxFiles)
		}
		if snap.Size += f.Size; snap.Size > policy.MaxBytes {
			return nil, fmt.Errorf("%w: the files add up to more than %d bytes", ErrTooLarge, policy.MaxBytes)
		}
		h, err := hashBlob(f)
		if err != nil {
			return nil, err
		}
		if err := root.add(strings.Split(f.Path, "/"), f.Mode, h); err != nil {
			return nil, fmt.Errorf("%w: %q: %w", ErrPath, f.Path, err)
		}
	}
	tree, err := root.hash()
	if err != nil {
		return nil, err
	}
	snap.Tree = tree.String()
	snap.index()
	return snap, nil
}

// checkSourceFile checks one file's path and size and returns how many new
// entries (the file and its new parent directories) it adds.
func checkSourceFile(f File, policy Policy, seen map[string]string) (int, error) {
	if err := checkRelPath(f.Path); err != nil {
		return 0, err
	}
	parts := strings.Split(f.Path, "/")
	if len(parts) > policy.MaxDepth {
		return 0, fmt.Errorf("%w: %q is nested deeper than %d levels", ErrPath, f.Path, policy.MaxDepth)
	}
	if strings.EqualFold(path.Base(f.Path), ".gitmodules") {
		return 0, fmt.Errorf("%w: %q declares submodules", ErrSubmodule, f.Path)
	}
	if f.Size < 0 || f.Size > policy.MaxFileBytes {
		return 0, fmt.Errorf("%w: %q is %d bytes, more than %d", ErrFileTooLarge, f.Path, f.Size, policy.MaxFileBytes)
	}
	added := 0
	for i := range parts {
		p := strings.Join(parts[:i+1], "/")
		folded := strings.ToLower(p)
		if other, ok := seen[folded]; ok {
			if other != p || i == len(parts)-1 {
				return 0, fmt.Errorf("%w: %q and %q collide", ErrPath, other, p)
			}
			continue
		}
		seen[folded] = p
		added++
	}
	if f.Size <= maxLFSPointer {
		if lfs, err := isLFSPointer(f); err != nil {
			return 0, err
		} else if lfs {
			return 0, fmt.Errorf("%w: %q is a Git LFS pointer", ErrLFS, f.Path)
		}
	}
	return added, nil
}

// hashBlob returns the Git blob hash of f's content, which must be exactly
// f.Size bytes.
func hashBlob(f File) (plumbing.Hash, error) {
	r, err := f.Open()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	defer r.Close()
	h := plumbing.NewHasher(plumbing.BlobObject, f.Size)
	n, err := io.Copy(h, io.LimitReader(r, f.Size+1))
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("gitsource: read %s: %w", f.Path, err)
	}
	if n != f.Size {
		return plumbing.ZeroHash, fmt.Errorf("%w: %q is not the %d bytes it declares", ErrPath, f.Path, f.Size)
	}
	return h.Sum(), nil
}

// dirNode is a directory being hashed.
type dirNode struct {
	files map[string]object.TreeEntry
	dirs  map[string]*dirNode
}

// add records a file at parts below d.
func (d *dirNode) add(parts []string, mode fs.FileMode, h plumbing.Hash) error {
	if d.files == nil {
		d.files, d.dirs = map[string]object.TreeEntry{}, map[string]*dirNode{}
	}
	name := parts[0]
	if len(parts) == 1 {
		if _, ok := d.dirs[name]; ok {
			return errors.New("is both a file and a directory")
		}
		fm := filemode.Regular
		if mode&0o111 != 0 {
			fm = filemode.Executable
		}
		d.files[name] = object.TreeEntry{Name: name, Mode: fm, Hash: h}
		return nil
	}
	if _, ok := d.files[name]; ok {
		return errors.New("is both a file and a directory")
	}
	sub, ok := d.dirs[name]
	if !ok {
		sub = &dirNode{}
		d.dirs[name] = sub
	}
	return sub.add(parts[1:], mode, h)
}

// hash returns the Git tree hash of d, entries sorted as Git sorts them (a
// directory's name compares as if it ended with "/").
func (d *dirNode) hash() (plumbing.Hash, error) {
	var tree object.Tree
	for _, e := range d.files {
		tree.Entries = append(tree.Entries, e)
	}
	for name, sub := range d.dirs {
		h, err := sub.hash()
		if err != nil {
			return plumbing.ZeroHash, err
		}
		tree.Entries = append(tree.Entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
	}
	sortKey := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(tree.Entries, func(i, j int) bool { return sortKey(tree.Entries[i]) < sortKey(tree.Entries[j]) })
	obj := &plumbing.MemoryObject{}
	if err := tree.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("gitsource: encode tree: %w", err)
	}
	return obj.Hash(), nil
}
