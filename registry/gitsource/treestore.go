package gitsource

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// TreeStore keeps checked trees on disk, one directory per tree hash under
// Dir, shared by every instance that installs the same version. A tree
// appears whole or not at all.
type TreeStore struct {
	Dir string
}

// tmpPrefix begins the names of trees being written or removed.
const tmpPrefix = ".tmp-"

// Put writes snap's files under Dir/<tree hash>/ unless that tree is
// already stored, and returns the tree ID and its directory. Files get mode
// 0644 (0755 for executables), directories 0755; no link is created.
func (s TreeStore) Put(snap *Snapshot) (treeID, dir string, err error) {
	if err := checkTreeID(snap.Tree); err != nil {
		return "", "", err
	}
	final := filepath.Join(s.Dir, snap.Tree)
	if _, err := os.Stat(final); err == nil {
		return snap.Tree, final, nil
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return "", "", fmt.Errorf("gitsource: tree store: %w", err)
	}
	tmp, err := os.MkdirTemp(s.Dir, tmpPrefix+snap.Tree+"-")
	if err != nil {
		return "", "", fmt.Errorf("gitsource: tree store: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := writeTree(tmp, snap); err != nil {
		return "", "", fmt.Errorf("gitsource: store tree %s: %w", snap.Tree, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		if _, statErr := os.Stat(final); statErr == nil {
			return snap.Tree, final, nil // another Put won the race
		}
		return "", "", fmt.Errorf("gitsource: store tree %s: %w", snap.Tree, err)
	}
	if err := syncDir(s.Dir); err != nil {
		return "", "", fmt.Errorf("gitsource: store tree %s: %w", snap.Tree, err)
	}
	return snap.Tree, final, nil
}

// Path returns the directory of a stored tree, or an error wrapping
// ErrNotFound.
func (s TreeStore) Path(treeID string) (string, error) {
	if err := checkTreeID(treeID); err != nil {
		return "", err
	}
	dir := filepath.Join(s.Dir, treeID)
	if _, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%w: %s", ErrNotFound, treeID)
		}
		return "", fmt.Errorf("gitsource: tree store: %w", err)
	}
	return dir, nil
}

// Remove deletes a stored tree: it disappears at once (renamed away), then
// its files are deleted. Removing a missing tree is not an error.
func (s TreeStore) Remove(treeID string) error {
	if err := checkTreeID(treeID); err != nil {
		return err
	}
	trash, err := os.MkdirTemp(s.Dir, tmpPrefix+"rm-")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("gitsource: remove tree %s: %w", treeID, err)
	}
	defer os.RemoveAll(trash)
	if err := os.Rename(filepath.Join(s.Dir, treeID), filepath.Join(trash, treeID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("gitsource: remove tree %s: %w", treeID, err)
	}
	return nil
}

// writeTree writes snap's files under dir through an os.Root, so that no
// path can leave it.
func writeTree(dir string, snap *Snapshot) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, f := range snap.Files {
		if err := checkRelPath(f.Path); err != nil {
			return err
		}
		if d := path.Dir(f.Path); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
		if err := writeFile(root, f); err != nil {
			return err
		}
	}
	return chmodDirs(dir)
}

// writeFile writes one file, fsynced, with its exact mode.
func writeFile(root *os.Root, f File) error {
	r, err := f.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	out, err := root.OpenFile(f.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.Mode)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, io.LimitReader(r, f.Size))
	err = errors.Join(err, out.Chmod(f.Mode), out.Sync(), out.Close())
	return err
}

// chmodDirs gives dir and its subdirectories mode 0755, whatever the
// umask, and syncs them so that their entries survive a crash.
func chmodDirs(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if err := os.Chmod(p, 0o755); err != nil {
			return err
		}
		return syncDir(p)
	})
}

// CleanTemp deletes what interrupted Puts and Removes left behind. Call it
// when no Put or Remove is running, for example at startup.
func (s TreeStore) CleanTemp() error {
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("gitsource: tree store: %w", err)
	}
	var errs []error
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			errs = append(errs, os.RemoveAll(filepath.Join(s.Dir, e.Name())))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("gitsource: tree store: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// checkTreeID accepts a lower-case SHA-1 or SHA-256 hex hash.
func checkTreeID(id string) error {
	if len(id) != 40 && len(id) != 64 {
		return fmt.Errorf("%w: %q", ErrTreeID, id)
	}
	for _, c := range id {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return fmt.Errorf("%w: %q", ErrTreeID, id)
		}
	}
	return nil
}

// checkRelPath re-checks a snapshot path before it touches the disk.
func checkRelPath(p string) error {
	for _, c := range strings.Split(p, "/") {
		if err := checkName(c); err != nil {
			return fmt.Errorf("%w: %q: %s", ErrPath, p, err)
		}
	}
	return nil
}
