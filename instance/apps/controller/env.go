package controller

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// environ is the app's environment: what App.Env returns, then the controller's own
// variables, which win. Nothing comes from the runtime's environment.
func (c *Controller) environ(ctx context.Context, app App, home, sock string) ([]string, error) {
	vars := map[string]string{}
	if app.Env != nil {
		m, err := app.Env(ctx)
		if err != nil {
			return nil, fmt.Errorf("controller: the app's environment: %w", err)
		}
		for k, v := range m {
			if k == "" || strings.ContainsAny(k, "=\x00") || strings.Contains(v, "\x00") {
				return nil, fmt.Errorf("controller: the app's environment: invalid variable %q", k)
			}
			vars[k] = v
		}
	}
	maps.Copy(vars, map[string]string{
		"PATH":            strings.Join(c.appPath(c.buildDir(app.Tree)), ":"),
		"HOME":            home,
		"TMPDIR":          filepath.Join(home, "tmp"),
		"NODE_ENV":        "production",
		"HEARTH_SOCKET":   sock,
		"PORT":            sock,
		"HEARTH_DATA_DIR": filepath.Join(home, "data"),
	})
	if !c.cgroupLimits() {
		vars["NODE_OPTIONS"] = fmt.Sprintf("--max-old-space-size=%d", c.heapMiB())
	}
	env := make([]string, 0, len(vars))
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	return env, nil
}

// appPath is the PATH of an app built in build.
func (c *Controller) appPath(build string) []string {
	return []string{filepath.Join(build, "node_modules", ".bin"), filepath.Dir(c.cfg.Node), "/usr/local/bin", "/usr/bin", "/bin"}
}

// command resolves the manifest's start command: node and npm are the controller's; a path
// is inside the build directory; another name is looked up in the app's PATH, its
// node_modules/.bin first.
func (c *Controller) command(app App) ([]string, error) {
	argv := slices.Clone(app.Node.Start)
	build := c.buildDir(app.Tree)
	switch name := argv[0]; {
	case name == "node":
		argv[0] = c.cfg.Node
	case name == "npm":
		argv[0] = c.cfg.NPM
	case strings.Contains(name, "/"):
		if !filepath.IsLocal(name) {
			return nil, &unavailable{status: http.StatusBadGateway, msg: fmt.Sprintf("the app's start command %q is not a path inside the app", name)}
		}
		argv[0] = filepath.Join(build, name)
	default:
		argv[0] = ""
		for _, dir := range c.appPath(build) {
			p := filepath.Join(dir, name)
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
				argv[0] = p
				break
			}
		}
	}
	if argv[0] == "" {
		return nil, &unavailable{status: http.StatusBadGateway, msg: fmt.Sprintf("the app's start command %q is not installed on this server", app.Node.Start[0])}
	}
	return argv, nil
}
