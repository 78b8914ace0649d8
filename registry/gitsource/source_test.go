package gitsource

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-cloud/hearth/internal/testsvc"
)

// memFile makes a File from a string.
func memFile(path string, mode fs.FileMode, content string) File {
	return NewFile(path, mode, int64(len(content)), func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(content)), nil
	})
}

func TestNewSnapshotMatchesGit(t *testing.T) {
	t.Parallel()
	bare := testsvc.GitRepo(t, nil)
	testsvc.GitCommitFunc(t, bare, func(work string) {
		write(t, filepath.Join(work, "a.b"), "1", 0o644)
		write(t, filepath.Join(work, "a", "z.js"), "2", 0o644)
		write(t, filepath.Join(work, "a-b", "bin", "run"), "#!/bin/sh", 0o755)
		write(t, filepath.Join(work, "empty"), "", 0o644)
	})
	url := testsvc.GitHTTP(t, filepath.Dir(bare)) + "/app.git"
	fetched, err := Fetch(context.Background(), url, "main", local)
	if err != nil {
		t.Fatal(err)
	}
	var files []File
	for i := len(fetched.Files) - 1; i >= 0; i-- { // any order
		f := fetched.Files[i]
		files = append(files, NewFile(f.Path, f.Mode, f.Size, f.Open))
	}
	built, err := NewSnapshot(files, Policy{})
	if err != nil {
		t.Fatal(err)
	}
	if built.Tree != fetched.Tree {
		t.Fatalf("NewSnapshot tree %s, Git tree %s", built.Tree, fetched.Tree)
	}
	if got, _ := built.ReadFile("a-b/bin/run"); string(got) != "#!/bin/sh" {
		t.Fatalf("ReadFile = %q", got)
	}
}

func TestNewSnapshotRefuses(t *testing.T) {
	t.Parallel()
	liar := NewFile("a", 0o644, 5, func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader("more than five")), nil
	})
	tests := []struct {
		name  string
		files []File
		want  error
	}{
		{"size mismatch", []File{liar}, ErrPath},
		{"duplicate", []File{memFile("a", 0o644, "1"), memFile("a", 0o644, "2")}, ErrPath},
		{"case collision", []File{memFile("A/x", 0o644, "1"), memFile("a/y", 0o644, "2")}, ErrPath},
		{"file and directory", []File{memFile("a", 0o644, "1"), memFile("a/b", 0o644, "2")}, ErrPath},
		{"traversal", []File{memFile("../etc/passwd", 0o644, "1")}, ErrPath},
		{"absolute", []File{memFile("/etc/passwd", 0o644, "1")}, ErrPath},
		{".git", []File{memFile(".git/config", 0o644, "1")}, ErrPath},
		{"gitmodules", []File{memFile(".gitmodules", 0o644, "1")}, ErrSubmodule},
		{"lfs", []File{memFile("x", 0o644, "version https://git-lfs.github.com/spec/v1\n")}, ErrLFS},
		{"big file", []File{memFile("x", 0o644, strings.Repeat("x", 65))}, ErrFileTooLarge},
		{"too many", []File{memFile("x/1", 0o644, ""), memFile("x/2", 0o644, ""), memFile("x/3", 0o644, "")}, ErrTooManyFiles},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewSnapshot(tt.files, Policy{MaxFileBytes: 64, MaxFiles: 3})
			if !errors.Is(err, tt.want) {
				t.Fatalf("NewSnapshot: %v, want %v", err, tt.want)
			}
		})
	}
}
