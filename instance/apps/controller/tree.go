package controller

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// copyTree copies the installed tree src into dst, an empty directory. Symbolic links are
// copied as links, never followed: the runtime's privileges must not read through them.
func copyTree(src, dst string) error {
	src, err := filepath.EvalSymlinks(src)
	if err != nil {
		return fmt.Errorf("controller: the installed tree: %w", err)
	}
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		to := filepath.Join(dst, rel)
		switch t := d.Type(); {
		case d.IsDir():
			return os.Mkdir(to, 0o755)
		case t&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case t.IsRegular():
			return copyFile(p, to)
		}
		return nil // devices, pipes, sockets: no part of an app
	})
	if err != nil {
		return fmt.Errorf("controller: copy the installed tree: %w", err)
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.OpenFile(from, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	if fi.Mode()&0o111 != 0 {
		mode = 0o755
	}
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// finishTree makes a build read-only to the apps: owned by root when the runtime is root,
// directories 0755, files 0644 (0755 when executable); other kinds of file are removed. The
// top directory is closed to the build user first, and every change goes through a file
// descriptor opened without following links, so that nothing in the tree can redirect the
// runtime's privileges elsewhere.
func finishTree(dir string, asRoot bool) error {
	if err := fixMode(dir, 0o700, asRoot); err != nil {
		return fmt.Errorf("controller: finish the build: %w", err)
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if asRoot {
				return os.Lchown(p, 0, 0)
			}
			return nil
		}
		return fixMode(p, 0, asRoot)
	})
	if err == nil {
		err = fixMode(dir, 0o755, asRoot)
	}
	if err != nil {
		return fmt.Errorf("controller: finish the build: %w", err)
	}
	return nil
}

// fixMode gives the file or directory p its final mode (mode, or when 0: 0755 for
// directories and executables, 0644 for other files) and, when asRoot, root as owner. Other
// kinds of file are removed.
func fixMode(p string, mode os.FileMode, asRoot bool) error {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", p, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		if mode == 0 {
			mode = 0o755
		}
	case unix.S_IFREG:
		if mode == 0 {
			mode = 0o644
			if st.Mode&0o111 != 0 {
				mode = 0o755
			}
		}
	default:
		return os.Remove(p)
	}
	if asRoot {
		if err := unix.Fchown(fd, 0, 0); err != nil {
			return err
		}
	}
	return unix.Fchmod(fd, uint32(mode))
}
