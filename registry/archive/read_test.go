package archive

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/hearth-cloud/hearth/registry/gitsource"
)

// tarEntry is one header, and content for regular files, of a crafted tar.
type tarEntry struct {
	hdr     tar.Header
	content string
}

func reg(name, content string) tarEntry {
	return tarEntry{tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(content))}, content}
}

func special(typeflag byte, name, link string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: typeflag, Name: name, Linkname: link, Mode: 0o644}}
}

// craft makes a tar with archive/tar's writer.
func craft(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := e.hdr
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestReadRefuses(t *testing.T) {
	t.Parallel()
	good, _ := write(t, snapshot(t, "a", "hello", "b/c", strings.Repeat("x", 600)))
	small := gitsource.Policy{MaxBytes: 100, MaxFiles: 3, MaxFileBytes: 50}
	tests := []struct {
		name   string
		data   []byte
		policy gitsource.Policy
		want   error
	}{
		{"symlink", craft(t, reg("a", "1"), special(tar.TypeSymlink, "b", "/etc/passwd")), gitsource.Policy{}, ErrEntry},
		{"hard link", craft(t, reg("a", "1"), special(tar.TypeLink, "b", "a")), gitsource.Policy{}, ErrEntry},
		{"char device", craft(t, special(tar.TypeChar, "tty", "")), gitsource.Policy{}, ErrEntry},
		{"block device", craft(t, special(tar.TypeBlock, "sda", "")), gitsource.Policy{}, ErrEntry},
		{"fifo", craft(t, special(tar.TypeFifo, "pipe", "")), gitsource.Policy{}, ErrEntry},
		{"global PAX header", craft(t, tarEntry{hdr: tar.Header{Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": "x"}}}), gitsource.Policy{}, ErrEntry},
		{"absolute path", craft(t, reg("/etc/passwd", "x")), gitsource.Policy{}, ErrPath},
		{"dot-dot", craft(t, reg("../evil", "x")), gitsource.Policy{}, ErrPath},
		{"inner dot-dot", craft(t, reg("a/../../evil", "x")), gitsource.Policy{}, ErrPath},
		{"dot-slash", craft(t, reg("./a", "x")), gitsource.Policy{}, ErrPath},
		{"double slash", craft(t, reg("a//b", "x")), gitsource.Policy{}, ErrPath},
		{"absolute directory", craft(t, special(tar.TypeDir, "/tmp/", "")), gitsource.Policy{}, ErrPath},
		{"duplicate", craft(t, reg("a", "1"), reg("a", "2")), gitsource.Policy{}, ErrPath},
		{"case collision", craft(t, reg("A", "1"), reg("a", "2")), gitsource.Policy{}, gitsource.ErrPath},
		{".git", craft(t, reg(".git/config", "x")), gitsource.Policy{}, gitsource.ErrPath},
		{"file too large", craft(t, reg("a", strings.Repeat("x", 51))), small, ErrTooLarge},
		{"files too large together", craft(t, reg("a", strings.Repeat("x", 50)), reg("b", strings.Repeat("x", 50)), reg("c", "x")), small, ErrTooLarge},
		{"too many files", craft(t, reg("a", ""), reg("b", ""), reg("c", ""), reg("d", "")), small, ErrTooManyFiles},
		{"too many files and dirs", craft(t, reg("a/b", ""), reg("c/d", "")), small, gitsource.ErrTooManyFiles},
		{"archive too large", make([]byte, 100+3*3<<10+10<<10+512), small, ErrTooLarge},
		{"not tar", bytes.Repeat([]byte("not a tar archive "), 512), gitsource.Policy{}, ErrFormat},
		{"truncated mid-block", good[:700], gitsource.Policy{}, ErrFormat},
		{"truncated in content", good[:1024], gitsource.Policy{}, ErrFormat},
		{"truncated at an entry", good[:1024+1536], gitsource.Policy{}, ErrFormat},
		{"one end block", good[:len(good)-512], gitsource.Policy{}, ErrFormat},
		{"data after the end", append(append([]byte(nil), good...), good[:512]...), gitsource.Policy{}, ErrFormat},
		{"empty input", nil, gitsource.Policy{}, ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			snap, err := Read(bytes.NewReader(tt.data), sum(tt.data), tt.policy)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Read: %v, %v; want %v", snap, err, tt.want)
			}
			t.Log(err)
		})
	}
}

func TestReadAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data []byte
	}{
		{"directory entries", craft(t, special(tar.TypeDir, "a/", ""), reg("a/b", "1"), special(tar.TypeDir, "c/", ""))},
		{"record padding", append(craft(t, reg("a/b", "1")), make([]byte, 8<<10)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			snap, err := Read(bytes.NewReader(tt.data), sum(tt.data), gitsource.Policy{})
			if err != nil {
				t.Fatal(err)
			}
			if len(snap.Files) != 1 || snap.Files[0].Path != "a/b" {
				t.Fatalf("files %v, want a/b", snap.Files)
			}
		})
	}
}

func TestReadHash(t *testing.T) {
	t.Parallel()
	data, info := write(t, snapshot(t, "a", "hello"))
	bad := append([]byte(nil), data...)
	bad[600] ^= 1 // in the content: only the hash notices
	tests := []struct {
		name, want string
		data       []byte
	}{
		{"other content", info.SHA256, bad},
		{"other hash", sum([]byte("x")), data},
		{"not hex", strings.Repeat("z", 64), data},
		{"short", info.SHA256[:62], data},
		{"empty", "", data},
		{"hostile entry, wrong hash", sum(nil), craft(t, special(tar.TypeSymlink, "b", "/"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Read(bytes.NewReader(tt.data), tt.want, gitsource.Policy{}); !errors.Is(err, ErrHash) {
				t.Fatalf("Read: %v, want ErrHash", err)
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	good, _ := write(f, snapshot(f, "a", "hello", "b/c*", "#!", longPath, "x", "é", ""))
	f.Add(good)
	f.Add(craft(f, reg("a", "1"), special(tar.TypeSymlink, "b", "a")))
	f.Add(craft(f, tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "s", Size: 3, Format: tar.FormatGNU}, content: "abc"}))
	f.Add([]byte{})
	policy := gitsource.Policy{MaxBytes: 1 << 16, MaxFiles: 64, MaxFileBytes: 1 << 14}
	f.Fuzz(func(t *testing.T, data []byte) {
		snap, err := Read(bytes.NewReader(data), sum(data), policy)
		if err == nil {
			var buf bytes.Buffer
			if _, err := Write(&buf, snap); err != nil {
				t.Fatalf("Write of a read snapshot: %v", err)
			}
		}
	})
}

func BenchmarkWriteRead(b *testing.B) {
	const files, size = 200, 10 << 10 // 2 MB
	var pairs []string
	for i := range files {
		pairs = append(pairs, strings.Repeat("d/", i%5)+"file"+strings.Repeat("x", i%50)+string(rune('a'+i%26))+hex.EncodeToString([]byte{byte(i)}),
			strings.Repeat(string(rune('a'+i%26)), size))
	}
	snap := snapshot(b, pairs...)
	b.SetBytes(snap.Size)
	b.ReportAllocs()
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		info, err := Write(&buf, snap)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Read(&buf, info.SHA256, gitsource.Policy{}); err != nil {
			b.Fatal(err)
		}
	}
}
