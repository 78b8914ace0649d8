package archive

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/hearth-cloud/hearth/registry/gitsource"
)

const (
	blockSize    = 512
	nameSize     = 100
	prefixSize   = 155
	maxUSTARSize = 1<<33 - 1 // largest size 11 octal digits hold
	paxName      = "PaxHeader"
)

// Write writes snap's files to w as an archive in the package's format and
// returns its sha256 and size. On error, what was written is not an archive.
func Write(w io.Writer, snap *gitsource.Snapshot) (Info, error) {
	if snap == nil {
		return Info{}, errors.New("archive: nil snapshot")
	}
	hw := &hashWriter{w: w, h: sha256.New()}
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	buf := *bp
	prev := ""
	for i, f := range snap.Files {
		if i > 0 && f.Path <= prev {
			return Info{}, fmt.Errorf("%w: %q is not after %q: files must be sorted and unique", ErrPath, f.Path, prev)
		}
		prev = f.Path
		if err := writeFile(hw, f, buf); err != nil {
			return Info{}, err
		}
	}
	if _, err := hw.Write(make([]byte, 2*blockSize)); err != nil {
		return Info{}, err
	}
	return Info{SHA256: hex.EncodeToString(hw.h.Sum(nil)), Size: hw.n}, nil
}

// copyBuffers hold the buffers through which Write copies file contents.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// writeFile writes one entry: its headers, its content and the padding.
func writeFile(w io.Writer, f gitsource.File, buf []byte) error {
	if f.Path == "" || strings.ContainsRune(f.Path, 0) {
		return fmt.Errorf("%w: %q cannot be stored in a tar header", ErrPath, f.Path)
	}
	if f.Size < 0 {
		return fmt.Errorf("%w: %q has a negative size", ErrFormat, f.Path)
	}
	mode := int64(0o644)
	if f.Mode&0o111 != 0 {
		mode = 0o755
	}
	prefix, name, ok := splitPath(f.Path)
	var pax []byte
	if !ok {
		pax = appendRecord(pax, "path", f.Path)
		name, prefix = f.Path[:min(len(f.Path), nameSize)], ""
	}
	size := f.Size
	if size > maxUSTARSize {
		pax = appendRecord(pax, "size", strconv.FormatInt(size, 10))
		size = 0
	}
	if pax != nil {
		if _, err := w.Write(header(paxName, "", 0o644, int64(len(pax)), 'x')); err != nil {
			return err
		}
		if _, err := w.Write(padded(pax)); err != nil {
			return err
		}
	}
	if _, err := w.Write(header(name, prefix, mode, size, '0')); err != nil {
		return err
	}
	if err := copyContent(w, f, buf); err != nil {
		return err
	}
	_, err := w.Write(make([]byte, padding(f.Size)))
	return err
}

// copyContent copies exactly f.Size bytes of f's content to w.
func copyContent(w io.Writer, f gitsource.File, buf []byte) error {
	r, err := f.Open()
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	n, err := io.CopyBuffer(w, io.LimitReader(r, f.Size), buf)
	if err == nil && n < f.Size {
		err = fmt.Errorf("archive: %q is %d bytes, not the %d it declares", f.Path, n, f.Size)
	}
	if err == nil {
		var one [1]byte
		if m, _ := io.ReadFull(r, one[:]); m > 0 {
			err = fmt.Errorf("archive: %q is longer than the %d bytes it declares", f.Path, f.Size)
		}
	}
	if cerr := r.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("archive: close %s: %w", f.Path, cerr)
	}
	return err
}

// splitPath returns the USTAR prefix and name fields for p, or ok false
// when p needs a PAX record: it is not ASCII or no split fits.
func splitPath(p string) (prefix, name string, ok bool) {
	for i := 0; i < len(p); i++ {
		if p[i] >= 0x80 {
			return "", "", false
		}
	}
	if len(p) <= nameSize {
		return "", p, true
	}
	i := strings.LastIndexByte(p[:min(len(p), prefixSize+1)], '/')
	if i <= 0 || len(p)-i-1 > nameSize || i == len(p)-1 {
		return "", "", false
	}
	return p[:i], p[i+1:], true
}

// header returns a USTAR header block with the fixed fields of the format.
func header(name, prefix string, mode, size int64, typeflag byte) []byte {
	b := make([]byte, blockSize)
	copy(b[0:100], name)
	octal(b[100:108], mode)
	octal(b[108:116], 0) // uid
	octal(b[116:124], 0) // gid
	octal(b[124:136], size)
	octal(b[136:148], 0) // mtime: 1970-01-01T00:00:00Z
	b[156] = typeflag
	copy(b[257:263], "ustar\x00")
	copy(b[263:265], "00")
	octal(b[329:337], 0) // devmajor
	octal(b[337:345], 0) // devminor
	copy(b[345:500], prefix)
	copy(b[148:156], "        ") // checksum computed with its field as spaces
	sum := int64(0)
	for _, c := range b {
		sum += int64(c)
	}
	octal(b[148:155], sum) // six digits and a NUL; b[155] stays a space
	return b
}

// octal writes x in field as zero-padded octal digits and a final NUL.
func octal(field []byte, x int64) {
	s := strconv.FormatInt(x, 8)
	s = strings.Repeat("0", len(field)-1-len(s)) + s
	copy(field, s)
	field[len(field)-1] = 0
}

// appendRecord appends the PAX record "<n> key=value\n" to b, n counting
// the whole record including its own digits.
func appendRecord(b []byte, key, value string) []byte {
	rest := len(key) + len(value) + 3 // space, '=', '\n'
	n := rest + len(strconv.Itoa(rest))
	if len(strconv.Itoa(n)) != len(strconv.Itoa(rest)) {
		n++
	}
	return append(b, strconv.Itoa(n)+" "+key+"="+value+"\n"...)
}

// padded returns b followed by zeros up to a multiple of blockSize.
func padded(b []byte) []byte {
	return append(b, make([]byte, padding(int64(len(b))))...)
}

// padding returns how many zero bytes follow n bytes of content.
func padding(n int64) int64 {
	return -n & (blockSize - 1)
}

// hashWriter writes to w, hashing and counting what it writes.
type hashWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (hw *hashWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.n += int64(n)
	return n, err
}
