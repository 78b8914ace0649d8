package controller

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// unixUser is a system user an app or npm runs as.
type unixUser struct {
	name     string
	uid, gid int
}

// userdbMu serialises useradd and userdel within this process: they lock /etc/passwd and
// fail, rather than wait, when another holds the lock. (Other processes can still hold it:
// addUser retries.)
var userdbMu sync.Mutex

// userName is the name of the unix user of the app (or build) with the given id: at most
// 32 bytes, as useradd and utmp require.
func userName(id string) string { return "hearth-" + id }

// ensureUser returns the system user name, creating it (without a login shell, with home as
// its home directory, which the caller creates) when it does not exist.
func ensureUser(ctx context.Context, name, home, comment string) (*unixUser, error) {
	if u, err := lookupUser(name); err == nil {
		return u, nil
	}
	userdbMu.Lock()
	defer userdbMu.Unlock()
	if u, err := lookupUser(name); err == nil {
		return u, nil
	}
	shell := "/usr/sbin/nologin"
	if _, err := os.Stat(shell); err != nil {
		shell = "/bin/false"
	}
	args := []string{"--system", "--no-create-home", "--home-dir", home, "--shell", shell,
		"--user-group", "--comment", comment, name}
	if err := runUserdb(ctx, "useradd", args...); err != nil {
		return nil, err
	}
	return lookupUser(name)
}

// deleteUser deletes the system user name and its group; a missing user is no error.
func deleteUser(ctx context.Context, name string) error {
	if _, err := lookupUser(name); err != nil {
		return nil
	}
	userdbMu.Lock()
	defer userdbMu.Unlock()
	return runUserdb(ctx, "userdel", name)
}

// runUserdb runs useradd or userdel, retrying while another process holds the lock on the
// user database.
func runUserdb(ctx context.Context, cmd string, args ...string) error {
	delay := 20 * time.Millisecond
	for attempt := 0; ; attempt++ {
		out, err := exec.CommandContext(ctx, cmd, args...).CombinedOutput()
		if err == nil {
			return nil
		}
		if !bytes.Contains(out, []byte("lock")) || attempt == 20 {
			return fmt.Errorf("controller: %s %s: %w: %s", cmd, strings.Join(args, " "), err, bytes.TrimSpace(out))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("controller: %s: %w", cmd, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, 500*time.Millisecond)
	}
}

func lookupUser(name string) (*unixUser, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, err
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("controller: user %s: %w", name, err)
	}
	if uid == 0 || gid == 0 {
		return nil, fmt.Errorf("controller: user %s has uid or gid 0", name)
	}
	return &unixUser{name: name, uid: uid, gid: gid}, nil
}

// prepareDir creates the directory path if needed and gives it mode, and the owner u when u
// is not nil. It never follows a symbolic link in place of path, which an app owning the
// parent directory could have put there.
func prepareDir(path string, mode os.FileMode, u *unixUser) error {
	if err := os.Mkdir(path, mode); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("controller: %w", err)
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("controller: open %s: %w", path, err)
	}
	defer unix.Close(fd)
	if u != nil {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return fmt.Errorf("controller: stat %s: %w", path, err)
		}
		if int(st.Uid) != u.uid {
			// The user was deleted and made again with another uid: give it its files back.
			if err := chownTree(path, u.uid, u.gid); err != nil {
				return err
			}
		}
		if err := unix.Fchown(fd, u.uid, u.gid); err != nil {
			return fmt.Errorf("controller: chown %s: %w", path, err)
		}
	}
	if err := unix.Fchmod(fd, uint32(mode.Perm())); err != nil {
		return fmt.Errorf("controller: chmod %s: %w", path, err)
	}
	return nil
}

// chownTree gives everything under dir (dir included) to uid and gid, without following
// symbolic links.
func chownTree(dir string, uid, gid int) error {
	err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	if err != nil {
		return fmt.Errorf("controller: chown %s: %w", dir, err)
	}
	return nil
}

// killUser kills every process whose real or effective uid is uid, until none is left (a
// process may fork while the list is read, and a killed one takes a moment to exit on a busy
// machine), for up to five seconds. Only for users of a single app.
func killUser(uid int) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids := processesOf(uid)
		if len(pids) == 0 || time.Now().After(deadline) {
			return
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// processesOf lists the live processes whose real or effective uid is uid.
func processesOf(uid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	want := strconv.Itoa(uid)
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		status, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil {
			continue
		}
		var uids []string
		for line := range strings.Lines(string(status)) {
			if rest, ok := strings.CutPrefix(line, "State:"); ok && strings.Contains(rest, "zombie") {
				break
			}
			if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
				uids = strings.Fields(rest)
				break
			}
		}
		if len(uids) >= 2 && (uids[0] == want || uids[1] == want) {
			pids = append(pids, pid)
		}
	}
	return pids
}
