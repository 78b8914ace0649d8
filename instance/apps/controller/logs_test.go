package controller

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

func TestLogRotation(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "app", "app.log")
	l := newLogFile(path, 100, slog.New(slog.NewTextHandler(t.Output(), nil)))
	var all []byte
	for i := range 25 {
		line := append(bytes.Repeat([]byte{byte('a' + i)}, 9), '\n')
		all = append(all, line...)
		if _, err := l.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{path, path + ".1"} {
		if fi, err := os.Stat(p); err != nil || fi.Size() > 100 || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", p, fi, err)
		}
	}
	kept, err := l.tail(0)
	if err != nil || len(kept) > 200 || !bytes.HasSuffix(all, kept) {
		t.Errorf("tail(0): %q, %v", kept, err)
	}
	if last, _ := l.tail(15); !bytes.Equal(last, all[len(all)-15:]) {
		t.Errorf("tail(15): %q", last)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Write([]byte("dropped\n")); err != nil {
		t.Fatal(err)
	}
	if last, _ := l.tail(8); bytes.Equal(last, []byte("dropped\n")) {
		t.Error("a write after Close was kept")
	}
}
