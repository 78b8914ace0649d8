package controller

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/hearth-cloud/hearth/registry/manifest"
)

func TestBuild(t *testing.T) {
	t.Parallel()
	c := newController(t, Config{})
	app := func(tree string, files map[string]string, node manifest.Node) App {
		if node.Start == nil {
			node.Start = []string{"node", "server.js"}
		}
		return App{Instance: "build.example", Slug: tree, Tree: tree, TreeDir: writeTree(t, files), Node: &node}
	}
	leftovers := func(t *testing.T) {
		t.Helper()
		if left, _ := os.ReadDir(c.path("tmp")); len(left) > 0 {
			t.Errorf("tmp holds %d entries", len(left))
		}
	}

	t.Run("failure leaves nothing", func(t *testing.T) {
		a := app("nolock", map[string]string{"package.json": `{"name":"x","version":"1.0.0"}`}, manifest.Node{})
		err := c.Build(t.Context(), a)
		if !errors.Is(err, ErrBuild) || !strings.Contains(err.Error(), "npm ci: exit status 1:\ncode EUSAGE\nThe `npm ci` command can only install with an existing package-lock.json") ||
			strings.Contains(err.Error(), "Usage") {
			t.Fatalf("Build: %v", err)
		}
		if _, err := os.Stat(c.buildDir("nolock")); !os.IsNotExist(err) {
			t.Errorf("a failed build left %s: %v", c.buildDir("nolock"), err)
		}
		leftovers(t)
		if logs, _ := c.Logs(a.Instance, a.Slug, 0); !strings.Contains(string(logs), "installing the dependencies failed: exit status 1") {
			t.Errorf("logs:\n%s", logs)
		}
		if b, err := os.ReadFile(c.path("logs", "builds", "nolock.log")); err != nil || !strings.Contains(string(b), "package-lock.json") {
			t.Errorf("build log: %v\n%s", err, b)
		}
	})

	t.Run("install scripts do not run", func(t *testing.T) {
		script := func(mark string) string { return `node -e \"require('fs').writeFileSync('` + mark + `','x')\"` }
		a := app("scripts", map[string]string{
			"package.json": `{"name":"sc","version":"1.0.0","scripts":{"preinstall":"` + script("pre-ran") + `","install":"` +
				script("install-ran") + `","postinstall":"` + script("post-ran") + `"},"dependencies":{"lib":"file:./lib"}}`,
			"package-lock.json": `{"name":"sc","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{` +
				`"":{"name":"sc","version":"1.0.0","hasInstallScript":true,"dependencies":{"lib":"file:./lib"}},` +
				`"lib":{"version":"1.0.0","hasInstallScript":true},"node_modules/lib":{"resolved":"lib","link":true}}}`,
			"lib/package.json": `{"name":"lib","version":"1.0.0","scripts":{"install":"` + script("lib-ran") + `"}}`,
		}, manifest.Node{})
		if err := c.Build(t.Context(), a); err != nil {
			t.Fatal(err)
		}
		dir := c.buildDir("scripts")
		if _, err := os.Lstat(filepath.Join(dir, "node_modules", "lib")); err != nil {
			t.Errorf("the dependency is not installed: %v", err)
		}
		for _, mark := range []string{"pre-ran", "install-ran", "post-ran", "lib/lib-ran"} {
			if _, err := os.Stat(filepath.Join(dir, mark)); err == nil {
				t.Errorf("an install script ran: %s exists", mark)
			}
		}
	})

	t.Run("npm install", func(t *testing.T) {
		a := app("install", map[string]string{"package.json": `{"name":"x","version":"1.0.0"}`}, manifest.Node{Install: manifest.InstallInstall})
		if err := c.Build(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("one build for concurrent callers, read-only", func(t *testing.T) {
		a := probeApp(t, "build.example")
		a.Slug = "concurrent"
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() { errs[i] = c.Build(t.Context(), a) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		logs, _ := c.Logs(a.Instance, a.Slug, 0)
		if n := strings.Count(string(logs), "installing the dependencies"); n != 1 {
			t.Errorf("npm ran %d times:\n%s", n, logs)
		}
		for name, mode := range map[string]os.FileMode{".": 0o755, "server.js": 0o644} {
			fi, err := os.Stat(filepath.Join(c.buildDir(a.Tree), name))
			if err != nil {
				t.Fatal(err)
			}
			if st := fi.Sys().(*syscall.Stat_t); fi.Mode().Perm() != mode || (c.asRoot && st.Uid != 0) {
				t.Errorf("%s: mode %o owner %d", name, fi.Mode().Perm(), st.Uid)
			}
		}
		leftovers(t)
	})

	t.Run("node version", func(t *testing.T) {
		a := app("future", map[string]string{"server.js": ""}, manifest.Node{NodeVersion: ">=99"})
		if err := c.Build(t.Context(), a); !errors.Is(err, ErrBuild) || !strings.Contains(err.Error(), "the app needs Node.js >=99, this server has") {
			t.Errorf("Build: %v", err)
		}
		a = app("present", map[string]string{"server.js": ""}, manifest.Node{NodeVersion: ">=18 <100"})
		if err := c.Build(t.Context(), a); err != nil {
			t.Errorf("Build: %v", err)
		}
	})

	t.Run("symbolic links are copied, not followed", func(t *testing.T) {
		a := app("links", map[string]string{"server.js": ""}, manifest.Node{})
		if err := os.Symlink("/etc/hostname", filepath.Join(a.TreeDir, "host")); err != nil {
			t.Fatal(err)
		}
		if err := c.Build(t.Context(), a); err != nil {
			t.Fatal(err)
		}
		if target, err := os.Readlink(filepath.Join(c.buildDir("links"), "host")); err != nil || target != "/etc/hostname" {
			t.Errorf("link: %q %v", target, err)
		}
	})
}
