package gitindex

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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

// BatchStore is an ArchiveStore that stages a run's archives as they are built and makes them
// durable together: the indexer commits its batch before it returns versions, so that a
// version is never recorded without its archive on disk, at the cost of one flush per run
// instead of one per archive.
type BatchStore interface {
	ArchiveStore
	NewBatch() ArchiveBatch
}

// ArchiveBatch is the archives of one run, staged until Commit.
type ArchiveBatch interface {
	// Write stages the archive that write writes, under the sha256 write returns.
	Write(ctx context.Context, write func(io.Writer) (string, error)) error
	// Commit makes every archive staged durable and stored.
	Commit(ctx context.Context) error
	// Close drops what was not committed.
	Close() error
}

// ErrArchiveName is returned for a sha256 that is not 64 lower-case hex digits.
var ErrArchiveName = errors.New("gitindex: invalid archive sha256")

var sha256Re = regexp.MustCompile(`^[0-9a-f]{64}$`)

// DirArchives stores each archive as Dir/{sha256}.tar, written atomically (a temporary file
// in Dir, synced, then renamed). Put syncs each archive; a batch (NewBatch) or PutAll syncs
// many at once.
type DirArchives struct {
	Dir string
}

var _ BatchStore = DirArchives{}

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

// PutAll stores many archives (sha256 → data) with one flush instead of one per archive,
// through a batch. No archive shows under its final name before its bytes are durable.
func (d DirArchives) PutAll(ctx context.Context, archives map[string][]byte) error {
	b := d.NewBatch()
	defer b.Close()
	for sha, data := range archives {
		if !sha256Re.MatchString(sha) {
			return fmt.Errorf("%w: %q", ErrArchiveName, sha)
		}
		if d.Has(sha) {
			continue
		}
		if err := b.Write(ctx, func(w io.Writer) (string, error) {
			_, err := w.Write(data)
			return sha, err
		}); err != nil {
			return err
		}
	}
	return b.Commit(ctx)
}

// batchOf returns a batch of store: its own when it is a BatchStore, else one that Puts each
// archive as it is written; for a nil store, one that keeps nothing.
func batchOf(store ArchiveStore) ArchiveBatch {
	switch s := store.(type) {
	case nil:
		return discardBatch{}
	case BatchStore:
		return s.NewBatch()
	}
	return putBatch{store}
}

// putBatch Puts each archive as it is written.
type putBatch struct{ store ArchiveStore }

func (b putBatch) Write(ctx context.Context, write func(io.Writer) (string, error)) error {
	var buf bytes.Buffer
	sha, err := write(&buf)
	if err != nil {
		return err
	}
	return b.store.Put(ctx, sha, buf.Bytes())
}

func (putBatch) Commit(context.Context) error { return nil }
func (putBatch) Close() error                 { return nil }

// discardBatch only runs the writes, so that archives are built and hashed.
type discardBatch struct{}

func (discardBatch) Write(_ context.Context, write func(io.Writer) (string, error)) error {
	_, err := write(io.Discard)
	return err
}

func (discardBatch) Commit(context.Context) error { return nil }
func (discardBatch) Close() error                 { return nil }
