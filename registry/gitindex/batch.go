package gitindex

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// DirBatch stages archives in a DirArchives' Dir as temporary files, written as they are
// built; Commit makes them all durable with one sync of the file system, then gives them
// their names, so that no archive shows under its name before its bytes are on disk. Its
// methods may be called from several goroutines.
type DirBatch struct {
	dir DirArchives

	mu      sync.Mutex        // guards the fields below
	staged  map[string]string // sha256 → temporary file; nil once closed
	madeDir bool              // Dir exists
}

var _ ArchiveBatch = (*DirBatch)(nil)

var errBatchClosed = errors.New("gitindex: archives: the batch is closed")

// NewBatch returns an empty batch of d.
func (d DirArchives) NewBatch() ArchiveBatch {
	return &DirBatch{dir: d, staged: map[string]string{}}
}

// writers are the buffers between archive writers and their temporary files.
var writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 32<<10) }}

// Write stages the archive that write writes, under the sha256 write returns. An archive
// staged twice is kept once.
func (b *DirBatch) Write(ctx context.Context, write func(io.Writer) (string, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.mkdir(); err != nil {
		return err
	}
	f, err := os.CreateTemp(b.dir.Dir, ".tmp-archive-*")
	if err != nil {
		return fmt.Errorf("gitindex: archives: %w", err)
	}
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(f)
	sha, err := write(bw)
	if err == nil {
		err = bw.Flush()
	}
	bw.Reset(nil)
	writers.Put(bw)
	if err == nil && !sha256Re.MatchString(sha) {
		err = fmt.Errorf("%w: %q", ErrArchiveName, sha)
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("gitindex: archives: write %s: %w", sha, err)
	}
	return b.stage(sha, f.Name())
}

// mkdir makes Dir, once.
func (b *DirBatch) mkdir() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.madeDir {
		return nil
	}
	if err := os.MkdirAll(b.dir.Dir, 0o755); err != nil {
		return fmt.Errorf("gitindex: archives: %w", err)
	}
	b.madeDir = true
	return nil
}

// stage records tmp as the archive sha256, or removes it when that archive is staged already
// or the batch is closed.
func (b *DirBatch) stage(sha, tmp string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, dup := b.staged[sha]; dup || b.staged == nil {
		os.Remove(tmp)
		if b.staged == nil {
			return errBatchClosed
		}
		return nil // the same bytes are staged already
	}
	b.staged[sha] = tmp
	return nil
}

// Commit makes the staged archives durable, with one sync of the file system, then renames
// them into place (an archive stored already is replaced by the same bytes) and syncs Dir.
func (b *DirBatch) Commit(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.staged == nil {
		return errBatchClosed
	}
	if len(b.staged) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := syncFiles(b.dir.Dir, b.staged); err != nil {
		return fmt.Errorf("gitindex: archives: sync: %w", err)
	}
	for sha, tmp := range b.staged {
		if err := os.Rename(tmp, filepath.Join(b.dir.Dir, sha+".tar")); err != nil {
			return fmt.Errorf("gitindex: archives: %w", err)
		}
		delete(b.staged, sha)
	}
	return b.dir.Sync(ctx)
}

// Close removes the archives staged and not committed; the batch takes no more.
func (b *DirBatch) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var errs []error
	for _, tmp := range b.staged {
		if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	b.staged = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("gitindex: archives: %w", err)
	}
	return nil
}
