package gitsource

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/hearth-cloud/hearth/internal/testsvc"
)

func TestTreeStore(t *testing.T) {
	t.Parallel()
	bare := testsvc.GitRepo(t, nil)
	testsvc.GitCommitFunc(t, bare, func(work string) {
		write(t, filepath.Join(work, "index.html"), "<h1>hi</h1>", 0o644)
		write(t, filepath.Join(work, "js", "app.js"), "go()", 0o600)
		write(t, filepath.Join(work, "bin", "start"), "#!/bin/sh", 0o700)
	})
	url := testsvc.GitHTTP(t, filepath.Dir(bare)) + "/app.git"
	snap, err := Fetch(context.Background(), url, "main", local)
	if err != nil {
		t.Fatal(err)
	}
	store := TreeStore{Dir: filepath.Join(t.TempDir(), "trees")}

	// Concurrent Puts of one tree: one writes it, all agree.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			id, dir, err := store.Put(snap)
			if err == nil && (id != snap.Tree || dir != filepath.Join(store.Dir, snap.Tree)) {
				err = errors.New("unexpected id or dir " + id + " " + dir)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	dir, err := store.Path(snap.Tree)
	if err != nil {
		t.Fatal(err)
	}
	wantModes := map[string]os.FileMode{
		".": 0o755, "js": 0o755, "bin": 0o755,
		"index.html": 0o644, "js/app.js": 0o644, "bin/start": 0o755,
	}
	for name, mode := range wantModes {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != mode || fi.Mode()&os.ModeSymlink != 0 {
			t.Errorf("%s: %v %v, want %v", name, fi.Mode(), err, mode)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "js", "app.js")); string(b) != "go()" {
		t.Errorf("js/app.js = %q", b)
	}
	entries, _ := os.ReadDir(store.Dir)
	if len(entries) != 1 || entries[0].Name() != snap.Tree {
		t.Errorf("store holds %v, want only %s (no temporary left)", entries, snap.Tree)
	}

	// A second Put leaves the stored tree alone.
	marker := filepath.Join(dir, "index.html")
	before, _ := os.Stat(marker)
	if _, _, err := store.Put(snap); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(marker); !os.SameFile(before, after) {
		t.Error("second Put rewrote the tree")
	}

	leftover := filepath.Join(store.Dir, tmpPrefix+"crashed", "x")
	write(t, leftover, "half", 0o644)
	if err := store.CleanTemp(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(leftover)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("CleanTemp left %s: %v", leftover, err)
	}
	if _, err := store.Path(snap.Tree); err != nil {
		t.Errorf("CleanTemp removed the tree: %v", err)
	}

	if err := store.Remove(snap.Tree); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Path(snap.Tree); !errors.Is(err, ErrNotFound) {
		t.Errorf("Path after Remove: %v, want ErrNotFound", err)
	}
	if err := store.Remove(snap.Tree); err != nil {
		t.Errorf("second Remove: %v", err)
	}
}

func TestTreeStoreAtomic(t *testing.T) {
	t.Parallel()
	store := TreeStore{Dir: t.TempDir()}
	tree := strings.Repeat("a", 40)
	// A snapshot whose second file cannot be read fails half-way: nothing
	// may appear under the tree's name.
	sto := memory.NewStorage()
	obj := sto.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	w, _ := obj.Writer()
	_, _ = w.Write([]byte("a"))
	_ = w.Close()
	blob, err := sto.SetEncodedObject(obj)
	if err != nil {
		t.Fatal(err)
	}
	snap := &Snapshot{Tree: tree, Files: []File{
		blobFile("a.txt", 0o644, 1, sto, blob),
		blobFile("b/missing.txt", 0o644, 1, sto, plumbing.ZeroHash),
	}}
	snap.index()
	if _, _, err := store.Put(snap); err == nil {
		t.Fatal("Put of an unreadable snapshot succeeded")
	}
	if _, err := store.Path(tree); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Path after failed Put: %v, want ErrNotFound", err)
	}
	if entries, _ := os.ReadDir(store.Dir); len(entries) != 0 {
		t.Fatalf("failed Put left %v", entries)
	}
}

func TestTreeStoreRefusesBadIDs(t *testing.T) {
	t.Parallel()
	store := TreeStore{Dir: t.TempDir()}
	for _, id := range []string{"", "..", "../etc", strings.Repeat("A", 40), strings.Repeat("a", 39), "/" + strings.Repeat("a", 39)} {
		if _, err := store.Path(id); !errors.Is(err, ErrTreeID) {
			t.Errorf("Path(%q): %v, want ErrTreeID", id, err)
		}
		if err := store.Remove(id); !errors.Is(err, ErrTreeID) {
			t.Errorf("Remove(%q): %v, want ErrTreeID", id, err)
		}
		if _, _, err := store.Put(&Snapshot{Tree: id}); !errors.Is(err, ErrTreeID) {
			t.Errorf("Put(%q): %v, want ErrTreeID", id, err)
		}
	}
}
