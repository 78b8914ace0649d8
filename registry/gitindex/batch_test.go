package gitindex

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// writeOf returns a Write function that writes data and returns its sha256.
func writeOf(data string) func(io.Writer) (string, error) {
	return func(w io.Writer) (string, error) {
		sum := sha256.Sum256([]byte(data))
		_, err := io.WriteString(w, data)
		return hex.EncodeToString(sum[:]), err
	}
}

func shaOf(data string) string {
	sum := sha256.Sum256([]byte(data))
	return hex.EncodeToString(sum[:])
}

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestDirBatch(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := DirArchives{Dir: t.TempDir() + "/archives"}
	b := store.NewBatch()
	defer b.Close()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if err := b.Write(ctx, writeOf(fmt.Sprint("archive ", i%4))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	boom := errors.New("boom")
	if err := b.Write(ctx, func(w io.Writer) (string, error) { return "", boom }); !errors.Is(err, boom) {
		t.Fatalf("failed write: %v", err)
	}
	if err := b.Write(ctx, func(io.Writer) (string, error) { return "../x", nil }); !errors.Is(err, ErrArchiveName) {
		t.Fatalf("bad sha256: %v", err)
	}
	for _, name := range dirNames(t, store.Dir) {
		if !strings.HasPrefix(name, ".tmp-") {
			t.Fatalf("before Commit, %s is in the archives", name)
		}
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		data := fmt.Sprint("archive ", i)
		path, _ := store.Path(shaOf(data))
		got, err := os.ReadFile(path)
		if err != nil || string(got) != data {
			t.Fatalf("%s: %q, %v", data, got, err)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v", data, fi.Mode())
		}
	}
	if names := dirNames(t, store.Dir); len(names) != 4 {
		t.Fatalf("after Commit: %v", names)
	}
}

func TestDirBatchClose(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := DirArchives{Dir: t.TempDir()}
	b := store.NewBatch()
	if err := b.Write(ctx, writeOf("dropped")); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, store.Dir); len(names) != 0 {
		t.Fatalf("after Close: %v", names)
	}
	if err := b.Write(ctx, writeOf("late")); err == nil {
		t.Fatal("Write after Close succeeded")
	}
	if names := dirNames(t, store.Dir); len(names) != 0 {
		t.Fatalf("after a Write once closed: %v", names)
	}
	if err := b.Commit(ctx); err == nil {
		t.Fatal("Commit after Close succeeded")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := store.NewBatch().Write(cancelled, writeOf("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Write with a cancelled context: %v", err)
	}
}

// memArchives is an ArchiveStore that is not a BatchStore.
type memArchives struct {
	mu   sync.Mutex // guards data
	data map[string][]byte
}

func (m *memArchives) Put(_ context.Context, sha string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data[sha] = data
	return nil
}

func TestIndexOtherStores(t *testing.T) {
	t.Parallel()
	bare := manyTagsRepo(t, 3)
	url := serve(t, bare)
	ix, _, dir := newIndexer(t)
	want := index(t, ix, url, nil)
	mem := &memArchives{data: map[string][]byte{}}
	ix.Archives = mem
	got := index(t, ix, url, nil)
	ix.Archives = nil
	none := index(t, ix, url, nil)
	for i, v := range want.Versions {
		path, _ := dir.Path(v.ArchiveSHA256)
		stored, err := os.ReadFile(path)
		if err != nil || string(mem.data[v.ArchiveSHA256]) != string(stored) || shaOf(string(stored)) != v.ArchiveSHA256 {
			t.Errorf("%s: the stores disagree (%v)", v.Tag, err)
		}
		if !reflect.DeepEqual(got.Versions[i], v) || !reflect.DeepEqual(none.Versions[i], v) {
			t.Errorf("%s: versions %+v, %+v, want %+v", v.Tag, got.Versions[i], none.Versions[i], v)
		}
	}
	if len(want.Versions) != 3 || len(mem.data) != 3 {
		t.Fatalf("%d versions, %d archives put", len(want.Versions), len(mem.data))
	}
}
