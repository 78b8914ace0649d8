package gitsource

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/internal/testsvc"
)

func TestFetchRefusesContent(t *testing.T) {
	t.Parallel()
	files := func(m map[string]string) func(*testing.T, string) {
		return func(t *testing.T, work string) {
			for name, content := range m {
				write(t, filepath.Join(work, filepath.FromSlash(name)), content, 0o644)
			}
		}
	}
	many := map[string]string{}
	for i := range 12 {
		many[filepath.Join("d", strings.Repeat("x", i+1))] = "x"
	}
	deep := strings.Repeat("d/", 5) + "f"
	limits := Policy{AllowPrivate: true, Timeout: 30 * time.Second,
		MaxBytes: 1000, MaxFiles: 10, MaxFileBytes: 600, MaxDepth: 4}
	tests := []struct {
		name  string
		edit  func(*testing.T, string)
		ref   string
		limit Policy
		want  error
	}{
		{"too big", files(map[string]string{"a": strings.Repeat("a", 500), "b": strings.Repeat("b", 501)}), "main", limits, ErrTooLarge},
		{"too many files", files(many), "main", limits, ErrTooManyFiles},
		{"big file", files(map[string]string{"big": strings.Repeat("b", 601)}), "main", limits, ErrFileTooLarge},
		{"deep path", files(map[string]string{deep: "x"}), "main", limits, ErrPath},
		{"download too big", files(map[string]string{"r": random(64 << 10)}), "main",
			Policy{AllowPrivate: true, MaxFetchBytes: 32 << 10}, ErrTooLarge},
		{"decodes too big", files(map[string]string{"zeros": strings.Repeat("\x00", 256<<10)}), "main",
			Policy{AllowPrivate: true, MaxFetchBytes: 32 << 10}, ErrTooLarge},
		{"missing ref", files(map[string]string{"a": "1"}), "v9.9.9", local, ErrRefNotFound},
		{"missing commit", files(map[string]string{"a": "1"}), strings.Repeat("ab", 20), local, ErrRefNotFound},
		{"escaping symlink", func(t *testing.T, work string) { symlink(t, "../../etc/passwd", work, "link") }, "main", local, ErrSymlink},
		{"absolute symlink", func(t *testing.T, work string) { symlink(t, "/etc/passwd", work, "link") }, "main", local, ErrSymlink},
		{"inner symlink", func(t *testing.T, work string) {
			write(t, filepath.Join(work, "a"), "x", 0o644)
			symlink(t, "a", work, "b")
		}, "main", local, ErrSymlink},
		{"submodule", func(t *testing.T, work string) {
			write(t, filepath.Join(work, "a"), "x", 0o644)
			// An embedded repository is committed as a gitlink.
			sub := filepath.Join(work, "vendor", "lib")
			write(t, filepath.Join(sub, "lib.js"), "x", 0o644)
			testsvc.GitRun(t, sub, "init", "--quiet")
			testsvc.GitRun(t, sub, "add", "lib.js")
			testsvc.GitRun(t, sub, "commit", "--quiet", "-m", "lib")
		}, "main", local, ErrSubmodule},
		{".gitmodules", files(map[string]string{".gitmodules": "[submodule \"x\"]\n\tpath = x\n\turl = https://example.com/x\n"}), "main", local, ErrSubmodule},
		{"lfs pointer", files(map[string]string{"big.bin": "version https://git-lfs.github.com/spec/v1\noid sha256:" + strings.Repeat("0", 64) + "\nsize 12345\n"}), "main", local, ErrLFS},
		{"backslash", files(map[string]string{`a\..\b`: "x"}), "main", local, ErrPath},
		{"trailing dot", files(map[string]string{"index.html.": "x"}), "main", local, ErrPath},
		{"control character", files(map[string]string{"a\tb": "x"}), "main", local, ErrPath},
		{"case collision", files(map[string]string{"README": "1", "readme": "2"}), "main", local, ErrPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bare := testsvc.GitRepo(t, nil)
			testsvc.GitCommitFunc(t, bare, func(work string) { tt.edit(t, work) })
			url := testsvc.GitHTTP(t, filepath.Dir(bare)) + "/app.git"
			snap, err := Fetch(context.Background(), url, tt.ref, tt.limit)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Fetch = %+v, %v; want %v", snap, err, tt.want)
			}
			t.Log(err)
		})
	}
}

func symlink(t *testing.T, target, work, name string) {
	t.Helper()
	if err := os.Symlink(target, filepath.Join(work, name)); err != nil {
		t.Fatal(err)
	}
}

// random returns n bytes that do not compress.
func random(n int) string {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return string(b)
}

func TestCheckName(t *testing.T) {
	t.Parallel()
	bad := []string{"", ".", "..", ".git", ".GIT", ".git.", "a/b", `a\b`, "a\x00b", "a\x7f", "x ", "x.", strings.Repeat("n", 256), "\xff"}
	for _, name := range bad {
		if checkName(name) == nil {
			t.Errorf("checkName(%q) = nil, want an error", name)
		}
	}
	for _, name := range []string{"index.html", ".well-known", "été.txt", "a..b", ".gitignore", strings.Repeat("n", 255)} {
		if err := checkName(name); err != nil {
			t.Errorf("checkName(%q) = %v", name, err)
		}
	}
}
