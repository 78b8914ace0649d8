package gitindex

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// DirBatch stages archives in a DirArchives' Dir as temporary files, written as they are
// built; Commit makes them all durable with one sync of the file system, then gives them
// their names, so that no archive shows under its name before its bytes are on disk. Its
// methods may be called from several goroutines.
type DirBatch struct {
	dir DirArchives

	// tmpDirs hands out the batch's temporary directories in Dir, one per CPU, each to one
	// creation at a time: creations in one directory wait on its lock, spinning in the
	// kernel (ext4), while those in different directories run side by side.
	tmpDirs chan string

	mu      sync.Mutex        // guards the fields below
	staged  map[string]string // sha256 → temporary file; nil once closed
	made    []string          // the temporary directories, once made
	madeErr error             // why they could not be made
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
	tmpDir := <-b.tmpDirs
	f, err := os.CreateTemp(tmpDir, "archive-*")
	b.tmpDirs <- tmpDir
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

// mkdir makes Dir and the temporary directories, once.
func (b *DirBatch) mkdir() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.staged == nil:
		return errBatchClosed
	case b.made != nil || b.madeErr != nil:
		return b.madeErr
	}
	n := runtime.GOMAXPROCS(0)
	b.tmpDirs = make(chan string, n)
	b.made = []string{}
	b.madeErr = os.MkdirAll(b.dir.Dir, 0o755)
	for range n {
		if b.madeErr != nil {
			break
		}
		var tmp string
		tmp, b.madeErr = os.MkdirTemp(b.dir.Dir, ".tmp-batch-*")
		if b.madeErr == nil {
			b.made = append(b.made, tmp)
			b.tmpDirs <- tmp
		}
	}
	if b.madeErr != nil {
		b.madeErr = fmt.Errorf("gitindex: archives: %w", b.madeErr)
	}
	return b.madeErr
}

// removeTmpDirs removes the temporary directories and what is left in them.
func (b *DirBatch) removeTmpDirs() error {
	var errs []error
	for _, dir := range b.made {
		errs = append(errs, os.RemoveAll(dir))
	}
	b.made = nil
	return errors.Join(errs...)
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
	if err := b.dir.Sync(ctx); err != nil {
		return err
	}
	if err := b.removeTmpDirs(); err != nil {
		return fmt.Errorf("gitindex: archives: %w", err)
	}
	return nil
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
	errs = append(errs, b.removeTmpDirs())
	b.staged = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("gitindex: archives: %w", err)
	}
	return nil
}
