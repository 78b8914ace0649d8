package controller

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// logMax is the size at which a log file is rotated; one rotated file is kept.
const logMax = 1 << 20

// logFile is a size-capped log: when it would pass max bytes, it becomes path.1 (replacing
// the previous one) and a new file starts. Writes never fail, so that an app writing to its
// output is never stopped by a full disk; the first error is logged.
type logFile struct {
	path string
	max  int64
	log  *slog.Logger

	mu     sync.Mutex // guards the fields below
	f      *os.File
	size   int64
	closed bool
	failed bool // an error was logged already
}

func newLogFile(path string, max int64, log *slog.Logger) *logFile {
	return &logFile{path: path, max: max, log: log}
}

// Write appends p, rotating first when needed.
func (l *logFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return len(p), nil
	}
	if err := l.writeLocked(p); err != nil && !l.failed {
		l.failed = true
		l.log.Error("controller: writing a log", "path", l.path, "err", err)
	}
	return len(p), nil
}

func (l *logFile) writeLocked(p []byte) error {
	if l.f != nil && l.size > 0 && l.size+int64(len(p)) > l.max {
		err := l.f.Close()
		l.f = nil
		if err != nil {
			return err
		}
		if err := os.Rename(l.path, l.path+".1"); err != nil {
			return err
		}
	}
	if l.f == nil {
		if err := os.MkdirAll(filepath.Dir(l.path), 0o700); err != nil {
			return err
		}
		f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return err
		}
		l.f, l.size = f, fi.Size()
	}
	n, err := l.f.Write(p)
	l.size += int64(n)
	return err
}

// note writes a line of the controller's own, marked as such, in the log.
func (l *logFile) note(format string, args ...any) {
	line := fmt.Sprintf("[hearth %s] %s\n", time.Now().UTC().Format(time.DateTime), fmt.Sprintf(format, args...))
	_, _ = l.Write([]byte(line))
}

// tail returns at most max bytes from the end of the log, the rotated file included; all of
// it when max <= 0.
func (l *logFile) tail(max int) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []byte
	for _, p := range []string{l.path + ".1", l.path} {
		b, err := readTail(p, max)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("controller: read logs: %w", err)
		}
		out = append(out, b...)
	}
	if max > 0 && len(out) > max {
		out = out[len(out)-max:]
	}
	return out, nil
}

func readTail(path string, max int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if max > 0 {
		fi, err := f.Stat()
		if err != nil {
			return nil, err
		}
		if off := fi.Size() - int64(max); off > 0 {
			if _, err := f.Seek(off, io.SeekStart); err != nil {
				return nil, err
			}
		}
	}
	return io.ReadAll(f)
}

// Close closes the file; later writes are dropped.
func (l *logFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// tailBuffer keeps the last bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex // guards buf
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// Logs returns at most max bytes from the end of the app's output (stdout and stderr, with
// the controller's own lines marked "[hearth …]" and npm's output when it installed the
// dependencies); all that is kept (up to 2 MiB) when max <= 0. It is empty when the app has
// never run.
func (c *Controller) Logs(instance, slug string, max int) ([]byte, error) {
	if p := c.lookup(instance, slug); p != nil {
		return p.logs.tail(max)
	}
	return newLogFile(c.logPath(c.hash(instance, slug)), logMax, c.log).tail(max)
}

func (c *Controller) logPath(id string) string { return c.path("logs", id, "app.log") }
