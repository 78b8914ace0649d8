package testsvc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgreSQL returns the URL of a new, empty database on a PostgreSQL
// server shared by the tests of this test binary. The server starts on the
// first call (from a template cluster initialised once and cached under
// CacheDir) and stops when the last test using it ends, so tests calling
// PostgreSQL in parallel each get their own database on one server. A
// server that cannot start fails the test: it never skips.
func PostgreSQL(t testing.TB) string {
	t.Helper()
	srv, err := pgShared.acquire()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pgShared.release)
	url, err := srv.createDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// pgShared is the server of this test binary.
var pgShared pgRef

// pgRef counts the tests using one PostgreSQL server.
type pgRef struct {
	mu    sync.Mutex // guards the fields below
	srv   *pgServer
	users int
}

func (r *pgRef) acquire() (*pgServer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.srv == nil {
		srv, err := startPostgreSQL(context.Background())
		if err != nil {
			return nil, err
		}
		r.srv = srv
	}
	r.users++
	return r.srv, nil
}

func (r *pgRef) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.users--; r.users == 0 && r.srv != nil {
		r.srv.stop()
		r.srv = nil
	}
}

// pgServer is a running postgres with its own data directory.
type pgServer struct {
	svc   *service
	dir   string // removed on stop
	base  string // postgres://postgres@127.0.0.1:P/
	admin *pgx.Conn
	mu    sync.Mutex // guards admin and n
	n     int        // databases created
}

// createDatabase makes a new database t_<n> and returns its URL.
func (s *pgServer) createDatabase(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	name := fmt.Sprintf("t_%d", s.n)
	if _, err := s.admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("testsvc: postgres: create database: %w", err)
	}
	return s.base + name + "?sslmode=disable", nil
}

func (s *pgServer) stop() {
	s.mu.Lock()
	if s.admin != nil {
		_ = s.admin.Close(context.Background())
	}
	s.mu.Unlock()
	// A fast shutdown removes the server's shared memory; kill what is left after it.
	_ = s.svc.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.svc.exited:
	case <-time.After(10 * time.Second):
	}
	s.svc.stop()
	_ = os.RemoveAll(s.dir)
}

// postgresBin returns the directory holding initdb and postgres: the newest
// /usr/lib/postgresql/*/bin (Debian), else the directory of initdb on PATH.
func postgresBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) > pgMajor(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	p, err := exec.LookPath("initdb")
	if err != nil {
		return "", fmt.Errorf("%w: PostgreSQL (initdb): %w", ErrMissing, err)
	}
	return filepath.Dir(p), nil
}

func pgMajor(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// pgUser is who runs initdb and postgres: the postgres user when the tests
// run as root (both refuse root), else nobody in particular (nil).
func pgUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("%w: a postgres user to run PostgreSQL as (tests run as root): %w", ErrMissing, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// pgCommand runs as cred (when set) in its own process group, killed when
// the test binary dies.
func pgCommand(cred *syscall.Credential, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred, Pdeathsig: syscall.SIGKILL}
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	return cmd
}

// chownTree gives dir and everything below it to cred's user.
func chownTree(dir string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(cred.Uid), int(cred.Gid))
	})
}

// pgTemplate returns a cluster made by initdb, cached under CacheDir and
// made once per PostgreSQL version.
func pgTemplate(bin string, cred *syscall.Credential) (string, error) {
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	tmpl := filepath.Join(cache, "postgres", fmt.Sprintf("cluster-%d-v1", pgMajor(bin)))
	if _, err := os.Stat(filepath.Join(tmpl, "PG_VERSION")); err == nil {
		return tmpl, nil
	}
	// The cache's parents may be closed to the postgres user: initdb runs in
	// a directory it can reach, then the cluster is copied into place.
	run, err := os.MkdirTemp("", "hearth-initdb-")
	if err != nil {
		return "", fmt.Errorf("testsvc: postgres: %w", err)
	}
	defer os.RemoveAll(run)
	data := filepath.Join(run, "data")
	if err := errors.Join(os.Chmod(run, 0o755), os.Mkdir(data, 0o700), chownTree(data, cred)); err != nil {
		return "", fmt.Errorf("testsvc: postgres: %w", err)
	}
	cmd := pgCommand(cred, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
	cmd.Dir = run
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("testsvc: postgres: initdb: %w\n%s", err, out)
	}
	if err := os.MkdirAll(filepath.Dir(tmpl), 0o755); err != nil {
		return "", fmt.Errorf("testsvc: postgres: %w", err)
	}
	tmp := fmt.Sprintf("%s.tmp-%d", tmpl, os.Getpid())
	defer os.RemoveAll(tmp)
	if out, err := exec.Command("cp", "-a", data, tmp).CombinedOutput(); err != nil {
		return "", fmt.Errorf("testsvc: postgres: copy the cluster: %w\n%s", err, out)
	}
	// Another test binary may have made it meanwhile: then keep theirs.
	if err := os.Rename(tmp, tmpl); err != nil {
		if _, serr := os.Stat(filepath.Join(tmpl, "PG_VERSION")); serr == nil {
			return tmpl, nil
		}
		return "", fmt.Errorf("testsvc: postgres: %w", err)
	}
	return tmpl, nil
}

// startPostgreSQL copies the template cluster to a new directory and runs
// postgres on it, without durability (fsync off), on a free port of 127.0.0.1.
func startPostgreSQL(ctx context.Context) (*pgServer, error) {
	bin, err := postgresBin()
	if err != nil {
		return nil, err
	}
	cred, err := pgUser()
	if err != nil {
		return nil, err
	}
	tmpl, err := pgTemplate(bin, cred)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "hearth-postgres-")
	if err != nil {
		return nil, fmt.Errorf("testsvc: postgres: %w", err)
	}
	fail := func(err error) (*pgServer, error) {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if out, err := exec.Command("cp", "-a", tmpl, data).CombinedOutput(); err != nil {
		return fail(fmt.Errorf("testsvc: postgres: copy the template cluster: %w\n%s", err, out))
	}
	if err := errors.Join(os.Chmod(dir, 0o755), os.Chmod(data, 0o700), chownTree(dir, cred)); err != nil {
		return fail(fmt.Errorf("testsvc: postgres: %w", err))
	}
	port, err := freePort()
	if err != nil {
		return fail(err)
	}
	cmd := pgCommand(cred, filepath.Join(bin, "postgres"), "-D", data,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "listen_addresses=127.0.0.1",
		"-k", dir, "-p", strconv.Itoa(port), "-h", "127.0.0.1")
	cmd.Dir = dir
	s, err := startPgService(cmd)
	if err != nil {
		return fail(err)
	}
	srv := &pgServer{svc: s, dir: dir, base: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/", port)}
	var admin *pgx.Conn
	err = s.waitReady(ctx, func(ctx context.Context) error {
		c, err := pgx.Connect(ctx, srv.base+"postgres?sslmode=disable&connect_timeout=2")
		if err == nil {
			admin = c
		}
		return err
	})
	if err != nil {
		srv.stop()
		return nil, err
	}
	srv.admin = admin
	return srv, nil
}

// startPgService starts cmd as startService does, keeping its SysProcAttr
// (the user to run as).
func startPgService(cmd *exec.Cmd) (*service, error) {
	s := &service{cmd: cmd, out: &LockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("testsvc: start %s: %w", cmd.Path, err)
	}
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	return s, nil
}
