// Package archive turns an app tree (a gitsource.Snapshot) into a
// reproducible tar archive and back, so that a registry can serve each app
// version as one file with a sha256, and an instance can install it after
// checking that hash.
//
// # Format
//
// Write produces the same bytes for the same files, whatever machine or Go
// version runs it (archive/tar's writer is not used, so its choices cannot
// change ours). The archive is a plain, uncompressed POSIX tar: no compressor
// version can change its bytes, and HTTP may still compress it in transit.
// Exactly:
//
//   - One entry per file, in the snapshot's order (paths sorted by bytes),
//     regular files only: no directory entries (they are implied), no links.
//   - Each entry is a 512-byte USTAR header followed by the content, padded
//     with zero bytes to a multiple of 512.
//   - Header fields, numbers in zero-padded octal ending with one NUL:
//     name (100 bytes) and prefix (155) hold the path; mode "0000644" or
//     "0000755"; uid and gid "0000000"; size, 11 digits; mtime
//     "00000000000" (1970-01-01T00:00:00Z); typeflag '0'; linkname empty;
//     magic "ustar\x00" and version "00"; uname and gname empty; devmajor and
//     devminor "0000000"; chksum as six octal digits, a NUL and a space.
//     Unused bytes of string fields and of the block are zero.
//   - A path of at most 100 ASCII bytes goes in name alone. A longer ASCII
//     path is split at its last '/' within the first 156 bytes: the part
//     before it goes in prefix (at most 155 bytes) and the part after it in
//     name (1 to 100 bytes).
//   - A path that is not ASCII or cannot be split so, or a size of 8 GiB or
//     more, is recorded in a PAX extended header placed just before the
//     file's header: a header as above with name "PaxHeader", mode 0644,
//     typeflag 'x' and the records' length as size, then the records,
//     padded to 512 bytes. Records are "<n> path=<path>\n" and then
//     "<n> size=<decimal>\n", each only when needed, where <n> is the
//     decimal length of the whole record including itself. The file's own
//     header then holds the path's first 100 bytes in name (prefix empty) and,
//     for such a size, "00000000000".
//   - The archive ends with two 512-byte zero blocks, and nothing follows
//     (no padding to a record size).
//
// Read accepts any well-formed tar of regular files (directory entries are
// skipped, trailing zero blocks allowed), so archives need not come from
// Write; but only Write's bytes are what a registry publishes and hashes.
package archive

import "errors"

// Errors returned by this package, wrapped with details; test with errors.Is.
// Read also returns gitsource's errors (wrapped) for what NewSnapshot refuses.
var (
	ErrHash         = errors.New("archive: sha256 does not match")
	ErrFormat       = errors.New("archive: not a valid tar archive")
	ErrEntry        = errors.New("archive: entry is not a regular file")
	ErrPath         = errors.New("archive: path not allowed")
	ErrTooLarge     = errors.New("archive: too large")
	ErrTooManyFiles = errors.New("archive: too many files")
)

// Info describes a written archive.
type Info struct {
	SHA256 string // lowercase hex digest of the archive's bytes
	Size   int64  // length of the archive in bytes
}
