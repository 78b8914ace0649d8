package archive

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/hearth-cloud/hearth/registry/gitsource"
)

// Tar overhead that Read allows beyond the policy's MaxBytes: per file, a
// header, a PAX header with up to 1.5 KiB of records, and padding; then the
// end blocks and up to one 10 KiB record of zero padding (as tar(1) writes).
const (
	overheadPerFile = 3 << 10
	overheadEnd     = 10 << 10
)

// Read reads an archive from r, checks that its sha256 is wantSHA256 (hex)
// before looking at any entry, and returns its files as a snapshot checked
// by gitsource.NewSnapshot under policy. It reads at most policy's MaxBytes
// plus 3 KiB per allowed file plus 10 KiB, and holds the archive and the
// files in memory. Only regular files are accepted; directory entries are
// skipped; every other kind of entry is refused with ErrEntry.
func Read(r io.Reader, wantSHA256 string, policy gitsource.Policy) (*gitsource.Snapshot, error) {
	want, err := hex.DecodeString(wantSHA256)
	if err != nil || len(want) != sha256.Size {
		return nil, fmt.Errorf("%w: want %q is not a sha256 in hex", ErrHash, wantSHA256)
	}
	lim := limitsOf(policy)
	limit := lim.maxBytes + int64(lim.maxFiles)*overheadPerFile + overheadEnd
	h := sha256.New()
	data, err := io.ReadAll(io.TeeReader(io.LimitReader(r, limit+1), h))
	if err != nil {
		return nil, fmt.Errorf("archive: read: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: the archive is more than %d bytes", ErrTooLarge, limit)
	}
	if got := h.Sum(nil); !bytes.Equal(got, want) {
		return nil, fmt.Errorf("%w: got %x, want %x", ErrHash, got, want)
	}
	files, err := parse(data, lim)
	if err != nil {
		return nil, err
	}
	snap, err := gitsource.NewSnapshot(files, policy)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	return snap, nil
}

// limits are a policy's limits with defaults applied.
type limits struct {
	maxBytes, maxFileBytes int64
	maxFiles               int
}

func limitsOf(p gitsource.Policy) limits {
	l := limits{maxBytes: p.MaxBytes, maxFileBytes: p.MaxFileBytes, maxFiles: p.MaxFiles}
	if l.maxBytes <= 0 {
		l.maxBytes = gitsource.DefaultMaxBytes
	}
	if l.maxFileBytes <= 0 {
		l.maxFileBytes = gitsource.DefaultMaxFileBytes
	}
	if l.maxFiles <= 0 {
		l.maxFiles = gitsource.DefaultMaxFiles
	}
	return l
}

// parse returns the regular files of the tar archive data, their contents
// copied out of it.
func parse(data []byte, lim limits) ([]gitsource.File, error) {
	if len(data)%blockSize != 0 {
		return nil, fmt.Errorf("%w: %d bytes is not a whole number of %d-byte blocks (truncated?)", ErrFormat, len(data), blockSize)
	}
	br := bytes.NewReader(data)
	tr := tar.NewReader(br)
	var files []gitsource.File
	seen := map[string]bool{}
	total, end := int64(0), int64(0) // end: where the last entry's padding ends
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: after %d files: %w", ErrFormat, len(files), err)
		}
		f, err := entry(tr, hdr, lim, seen)
		if err != nil {
			return nil, err
		}
		pos := int64(len(data)) - int64(br.Len())
		end = pos + padding(pos)
		if f == nil { // a directory
			continue
		}
		if len(files) == lim.maxFiles {
			return nil, fmt.Errorf("%w: more than %d", ErrTooManyFiles, lim.maxFiles)
		}
		if total += f.Size; total > lim.maxBytes {
			return nil, fmt.Errorf("%w: the files add up to more than %d bytes", ErrTooLarge, lim.maxBytes)
		}
		files = append(files, *f)
	}
	return files, checkEnd(data[min(end, int64(len(data))):])
}

// checkEnd checks what follows the last entry: at least two zero blocks and
// nothing else.
func checkEnd(rest []byte) error {
	if len(rest) < 2*blockSize {
		return fmt.Errorf("%w: missing the two zero blocks that end an archive (truncated?)", ErrFormat)
	}
	if i := bytes.IndexFunc(rest, func(r rune) bool { return r != 0 }); i >= 0 {
		return fmt.Errorf("%w: data after the end of the archive", ErrFormat)
	}
	return nil
}

// entry checks one entry and returns it as a file with its content read,
// or nil for a directory.
func entry(tr *tar.Reader, hdr *tar.Header, lim limits, seen map[string]bool) (*gitsource.File, error) {
	name := hdr.Name
	switch hdr.Typeflag {
	case tar.TypeReg, 0: // 0: the pre-POSIX flag of a regular file
	case tar.TypeDir:
		return nil, checkPath(strings.TrimSuffix(name, "/"))
	default:
		return nil, fmt.Errorf("%w: %q is a %s", ErrEntry, name, kind(hdr.Typeflag))
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return nil, fmt.Errorf("%w: %q is a %s", ErrEntry, name, kind(tar.TypeGNUSparse))
		}
	}
	if err := checkPath(name); err != nil {
		return nil, err
	}
	if seen[name] {
		return nil, fmt.Errorf("%w: %q appears twice", ErrPath, name)
	}
	seen[name] = true
	if hdr.Size > lim.maxFileBytes {
		return nil, fmt.Errorf("%w: %q is %d bytes, more than %d", ErrTooLarge, name, hdr.Size, lim.maxFileBytes)
	}
	content := make([]byte, hdr.Size)
	if _, err := io.ReadFull(tr, content); err != nil {
		return nil, fmt.Errorf("%w: content of %q: %w", ErrFormat, name, err)
	}
	f := gitsource.NewFile(name, fs.FileMode(hdr.Mode).Perm(), hdr.Size, func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(content)), nil
	})
	return &f, nil
}

// checkPath refuses paths that are absolute, climb with "..", or are not
// clean slash-separated relative paths.
func checkPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("%w: empty path", ErrPath)
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("%w: %q is absolute", ErrPath, p)
	case p == ".." || strings.HasPrefix(p, "../") || strings.HasSuffix(p, "/..") || strings.Contains(p, "/../"):
		return fmt.Errorf("%w: %q climbs out with ..", ErrPath, p)
	case !fs.ValidPath(p) || p == ".":
		return fmt.Errorf("%w: %q is not a clean relative path", ErrPath, p)
	}
	return nil
}

// kind names a tar entry type for error messages.
func kind(t byte) string {
	switch t {
	case tar.TypeSymlink:
		return "symbolic link"
	case tar.TypeLink:
		return "hard link"
	case tar.TypeChar:
		return "character device"
	case tar.TypeBlock:
		return "block device"
	case tar.TypeFifo:
		return "FIFO"
	case tar.TypeCont:
		return "contiguous file"
	case tar.TypeGNUSparse:
		return "sparse file"
	case tar.TypeXGlobalHeader:
		return "global PAX header"
	}
	return fmt.Sprintf("entry of type %q", t)
}
