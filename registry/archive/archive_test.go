package archive

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-cloud/hearth/registry/gitsource"
)

// memFile makes a file from a string.
func memFile(path string, mode fs.FileMode, content string) gitsource.File {
	return gitsource.NewFile(path, mode, int64(len(content)), func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(content)), nil
	})
}

// snapshot builds a checked snapshot from path/content pairs; a path
// ending in "*" is executable.
func snapshot(t testing.TB, pairs ...string) *gitsource.Snapshot {
	t.Helper()
	var files []gitsource.File
	for i := 0; i < len(pairs); i += 2 {
		p, mode := pairs[i], fs.FileMode(0o644)
		if strings.HasSuffix(p, "*") {
			p, mode = strings.TrimSuffix(p, "*"), 0o755
		}
		files = append(files, memFile(p, mode, pairs[i+1]))
	}
	snap, err := gitsource.NewSnapshot(files, gitsource.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// write writes snap and checks that Info describes the bytes.
func write(t testing.TB, snap *gitsource.Snapshot) ([]byte, Info) {
	t.Helper()
	var buf bytes.Buffer
	info, err := Write(&buf, snap)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	if info.SHA256 != hex.EncodeToString(sum[:]) || info.Size != int64(buf.Len()) {
		t.Fatalf("Info %+v does not describe the %d bytes written", info, buf.Len())
	}
	return buf.Bytes(), info
}

var (
	longDir   = strings.Repeat("d", 90) + "/" + strings.Repeat("e", 60)
	longASCII = longDir + "/" + strings.Repeat("f", 99)              // split into prefix and name
	longName  = "a/" + strings.Repeat("g", 150)                      // final name too long: PAX
	longPath  = strings.Repeat(strings.Repeat("h", 99)+"/", 3) + "x" // prefix too long: PAX
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		pairs []string
	}{
		{"empty tree", nil},
		{"one file", []string{"manifest.json", `{"name":"app"}`}},
		{"modes and dirs", []string{"a.b", "1", "a/z.js", "2", "a-b/bin/run*", "#!/bin/sh\n", "empty", ""}},
		{"block-sized content", []string{"x", strings.Repeat("x", 512), "y", strings.Repeat("y", 513)}},
		{"long ASCII path", []string{longASCII, "split"}},
		{"long final name", []string{longName, "pax"}},
		{"long path", []string{longPath, "pax"}},
		{"non-ASCII path", []string{"docs/café/naïve.md", "utf-8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := snapshot(t, tt.pairs...)
			data, info := write(t, src)
			got, err := Read(bytes.NewReader(data), info.SHA256, gitsource.Policy{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Tree != src.Tree || got.Size != src.Size || len(got.Files) != len(src.Files) {
				t.Fatalf("read tree %s (%d bytes, %d files), wrote %s (%d bytes, %d files)",
					got.Tree, got.Size, len(got.Files), src.Tree, src.Size, len(src.Files))
			}
			for i, f := range got.Files {
				if want := src.Files[i]; f.Path != want.Path || f.Mode != want.Mode || f.Size != want.Size {
					t.Errorf("file %d: got %s %o %d, want %s %o %d", i, f.Path, f.Mode, f.Size, want.Path, want.Mode, want.Size)
				}
			}
		})
	}
}

// TestGolden pins the format: a change of these bytes breaks every
// published archive hash.
func TestGolden(t *testing.T) {
	t.Parallel()
	const golden = "8bec3c466804668d062c18f9cc3cbe12ee96a4317126e9f28e25665e0591acee"
	snap := snapshot(t, "manifest.json", `{"name":"app"}`+"\n", "bin/start*", "#!/bin/sh\nexec ./app\n",
		"www/index.html", "<h1>hi</h1>\n", longName, "pax")
	a, info := write(t, snap)
	b, _ := write(t, snap)
	if !bytes.Equal(a, b) {
		t.Fatal("two writes of the same snapshot differ")
	}
	if info.SHA256 != golden {
		t.Errorf("sha256 %s (%d bytes), want %s: the archive format changed", info.SHA256, info.Size, golden)
	}
}

// TestHeaders checks what archive/tar reads in Write's output.
func TestHeaders(t *testing.T) {
	t.Parallel()
	data, _ := write(t, snapshot(t, "bin/run*", "#!", longASCII, "", longPath, "p", "é", "u"))
	tr := tar.NewReader(bytes.NewReader(data))
	var names []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		if hdr.Typeflag != tar.TypeReg || hdr.Uid != 0 || hdr.Gid != 0 || hdr.Uname != "" || hdr.Gname != "" ||
			hdr.ModTime.Unix() != 0 || !hdr.AccessTime.IsZero() || !hdr.ChangeTime.IsZero() {
			t.Errorf("%s: unexpected header %+v", hdr.Name, hdr)
		}
		if wantPAX := hdr.Name == longPath || hdr.Name == "é"; (len(hdr.PAXRecords) > 0) != wantPAX {
			t.Errorf("%s: PAX records %v", hdr.Name, hdr.PAXRecords)
		}
		if want := map[bool]int64{true: 0o755, false: 0o644}[hdr.Name == "bin/run"]; hdr.Mode != want {
			t.Errorf("%s: mode %o, want %o", hdr.Name, hdr.Mode, want)
		}
	}
	want := []string{"bin/run", longASCII, longPath, "é"}
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries %q, want %q", names, want)
	}
}

// TestSystemTar checks that tar(1), when installed, extracts the archive.
func TestSystemTar(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("tar")
	if err != nil {
		t.Skip("no tar(1)")
	}
	src := snapshot(t, "bin/run*", "#!/bin/sh\n", longASCII, "split", longPath, "pax", "café", "utf-8")
	data, _ := write(t, src)
	dir := t.TempDir()
	cmd := exec.Command(bin, "-xf", "-", "-C", dir)
	cmd.Stdin = bytes.NewReader(data)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	for _, f := range src.Files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := src.ReadFile(f.Path)
		if !bytes.Equal(b, want) {
			t.Errorf("%s: extracted %q, want %q", f.Path, b, want)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "bin", "run")); err != nil || fi.Mode().Perm()&0o100 == 0 {
		t.Errorf("bin/run not extracted executable: %v %v", fi, err)
	}
}

func TestWriteRefusesBadContent(t *testing.T) {
	t.Parallel()
	short := gitsource.NewFile("a", 0o644, 5, func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader("abc")), nil
	})
	long := gitsource.NewFile("a", 0o644, 2, func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader("abc")), nil
	})
	tests := []struct {
		name  string
		files []gitsource.File
	}{
		{"content shorter than size", []gitsource.File{short}},
		{"content longer than size", []gitsource.File{long}},
		{"unsorted", []gitsource.File{memFile("b", 0o644, ""), memFile("a", 0o644, "")}},
		{"duplicate", []gitsource.File{memFile("a", 0o644, ""), memFile("a", 0o644, "")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Write(io.Discard, &gitsource.Snapshot{Files: tt.files}); err == nil {
				t.Fatal("Write succeeded")
			}
		})
	}
}
