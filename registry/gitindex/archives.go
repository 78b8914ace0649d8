package gitindex

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// ArchiveStore keeps the archives of indexed versions, by sha256.
type ArchiveStore interface {
	// Put stores data, whose hex sha256 is sha256. Storing the same
	// archive twice is not an error.
	Put(ctx context.Context, sha256 string, data []byte) error
}

// SyncingStore is an ArchiveStore whose Puts are made durable together, by one Sync: the
// indexer calls it before it returns versions, so that a version is never recorded without
// its archive on disk, at the cost of one flush per run instead of one per archive.
type SyncingStore interface {
	ArchiveStore
	Sync(ctx context.Context) error
}

// ErrArchiveName is returned for a sha256 that is not 64 lower-case hex digits.
var ErrArchiveName = errors.New("gitindex: invalid archive sha256")

var sha256Re = regexp.MustCompile(`^[0-9a-f]{64}$`)

// DirArchives stores each archive as Dir/{sha256}.tar, written atomically (a temporary file
// in Dir, synced, then renamed); Sync makes the renames durable, once for all of them.
type DirArchives struct {
	Dir string
}

var _ SyncingStore = DirArchives{}

// Put writes data to Dir/{sha256}.tar unless it is already there.
func (d DirArchives) Put(ctx context.Context, sha256 string, data []byte) error {
	if !sha256Re.MatchString(sha256) {
		return fmt.Errorf("%w: %q", ErrArchiveName, sha256)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	final := filepath.Join(d.Dir, sha256+".tar")
	if _, err := os.Stat(final); err == nil {
		return nil
	}
	if err := os.MkdirAll(d.Dir, 0o755); err != nil {
		return fmt.Errorf("gitindex: archives: %w", err)
	}
	f, err := os.CreateTemp(d.Dir, ".tmp-"+sha256+"-*")
	if err != nil {
		return fmt.Errorf("gitindex: archives: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, final)
	}
	if werr != nil {
		return fmt.Errorf("gitindex: archives: write %s: %w", sha256, werr)
	}
	return nil
}

// Sync makes the renames of every archive Put so far durable, with one sync of Dir (each file
// was synced before its rename).
func (d DirArchives) Sync(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.Open(d.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil // nothing was put
	}
	if err != nil {
		return fmt.Errorf("gitindex: archives: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("gitindex: archives: sync %s: %w", d.Dir, err)
	}
	return nil
}

// Path returns where the archive with this sha256 is (or would be) stored.
func (d DirArchives) Path(sha256 string) (string, error) {
	if !sha256Re.MatchString(sha256) {
		return "", fmt.Errorf("%w: %q", ErrArchiveName, sha256)
	}
	return filepath.Join(d.Dir, sha256+".tar"), nil
}

// Has reports whether the archive with this sha256 is stored.
func (d DirArchives) Has(sha256 string) bool {
	p, err := d.Path(sha256)
	if err != nil {
		return false
	}
	_, err = os.Stat(p)
	return err == nil
}

// PutAll stores many archives (sha256 → data) with one flush instead of one
// per archive: each is written to a temporary file, then the file system is
// synced once, then the files are renamed and Dir synced. No archive shows
// under its final name before its bytes are durable.
func (d DirArchives) PutAll(ctx context.Context, archives map[string][]byte) error {
	if len(archives) == 0 {
		return nil
	}
	if err := os.MkdirAll(d.Dir, 0o755); err != nil {
		return fmt.Errorf("gitindex: archives: %w", err)
	}
	temps := map[string]string{}
	defer func() {
		for _, tmp := range temps {
			os.Remove(tmp) // a no-op once renamed
		}
	}()
	for sha, data := range archives {
		if !sha256Re.MatchString(sha) {
			return fmt.Errorf("%w: %q", ErrArchiveName, sha)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.Has(sha) {
			continue
		}
		f, err := os.CreateTemp(d.Dir, ".tmp-"+sha+"-*")
		if err != nil {
			return fmt.Errorf("gitindex: archives: %w", err)
		}
		temps[sha] = f.Name()
		_, werr := f.Write(data)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr == nil {
			werr = os.Chmod(f.Name(), 0o644)
		}
		if werr != nil {
			return fmt.Errorf("gitindex: archives: write %s: %w", sha, werr)
		}
	}
	if err := syncFiles(d.Dir, temps); err != nil {
		return fmt.Errorf("gitindex: archives: sync: %w", err)
	}
	for sha, tmp := range temps {
		if err := os.Rename(tmp, filepath.Join(d.Dir, sha+".tar")); err != nil {
			return fmt.Errorf("gitindex: archives: %w", err)
		}
	}
	return d.Sync(ctx)
}
