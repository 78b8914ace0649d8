package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hearth-cloud/hearth/registry/manifest"
)

// Errors of this package.
var (
	ErrClosed      = errors.New("controller: closed")
	ErrInvalidApp  = errors.New("controller: invalid app")
	ErrBuild       = errors.New("controller: installing the app's dependencies failed")
	ErrNodeMissing = errors.New("controller: Node.js is not installed on this server")
)

// Config configures a Controller. Only Dir is required.
type Config struct {
	// Dir is the controller's own directory: builds, app homes, sockets, logs. When the
	// runtime runs as root, every directory above it must be traversable by other users
	// (mode o+x), since the apps' users reach their files through it.
	Dir string
	// Node and NPM are the binaries; empty: looked up on PATH.
	Node, NPM string
	// IdleTimeout stops an app this long after its last request or WebSocket ended;
	// default 10 minutes.
	IdleTimeout time.Duration
	// StartTimeout bounds the time from starting an app to its socket accepting connections;
	// default 20 seconds.
	StartTimeout time.Duration
	// MemoryMax is the memory an app may use, in bytes; default 512 MiB.
	MemoryMax int64
	// CPUMax is the number of CPUs an app may use; default 1.
	CPUMax float64
	// Logger receives the controller's own logs; default slog.Default().
	Logger *slog.Logger
}

// Defaults of Config.
const (
	DefaultIdleTimeout  = 10 * time.Minute
	DefaultStartTimeout = 20 * time.Second
	DefaultMemoryMax    = 512 << 20
	DefaultCPUMax       = 1.0
)

// App is an installed node app, as the controller needs it.
type App struct {
	// Instance and Slug identify the app: its user, home, data, logs.
	Instance, Slug string
	// Tree is the content hash of the installed tree, TreeDir the tree itself (read-only).
	Tree, TreeDir string
	// Node is the manifest's node block.
	Node *manifest.Node
	// Env returns the variables to give the app at each start, such as HEARTH_URL and
	// HEARTH_TOKEN. It may be nil. Variables the controller sets itself win.
	Env func(ctx context.Context) (map[string]string, error)
}

var treeRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

func (a *App) check() error {
	switch {
	case a.Instance == "" || a.Slug == "":
		return fmt.Errorf("%w: no instance or slug", ErrInvalidApp)
	case !treeRe.MatchString(a.Tree):
		return fmt.Errorf("%w: %q is not a tree hash", ErrInvalidApp, a.Tree)
	case a.TreeDir == "":
		return fmt.Errorf("%w: no tree directory", ErrInvalidApp)
	case a.Node == nil || len(a.Node.Start) == 0 || a.Node.Start[0] == "":
		return fmt.Errorf("%w: no start command in the manifest's node block", ErrInvalidApp)
	}
	return nil
}

// Controller runs node apps. Its methods are safe for concurrent use.
type Controller struct {
	cfg    Config
	dir    string // absolute Config.Dir
	log    *slog.Logger
	asRoot bool      // apps run as users of their own
	cgroup string    // cgroup v2 directory holding one child per app; "" when unavailable
	cgV1   *cgroupV1 // without cgroup v2: the cgroup v1 directories holding them; nil when unavailable
	noCg   string    // why no cgroup limits are used
	node   nodeInfo
	// prlimit is util-linux's prlimit, which sets an app's rlimits; "" when missing.
	prlimit string

	// Back-off of crashed apps, the clock and the stop grace period (tests shorten them).
	backoffMin, backoffMax, backoffReset, grace time.Duration
	now                                         func() time.Time

	ctx    context.Context // done when Close is called
	cancel context.CancelFunc
	closed atomic.Bool    // set under mu, so that wg.Add never races with Close's wg.Wait
	wg     sync.WaitGroup // builds and starts in progress

	buildUserMu sync.Mutex // guards buildUser
	buildUser   *unixUser

	mu     sync.Mutex // guards procs and builds
	procs  map[string]*proc
	builds map[string]*buildCall
}

// Directories under Config.Dir, with their modes.
var dirModes = []struct {
	name string
	mode os.FileMode
}{
	{".", 0o711}, {"builds", 0o711}, {"homes", 0o711}, {"run", 0o711}, {"tmp", 0o711},
	{"logs", 0o700}, {"logs/builds", 0o700},
}

const (
	socketName    = "app.sock"
	maxSocketPath = 107 // bytes of sun_path, less its final NUL
	idLen         = 24  // hex digits of an app's id
)

// New returns a controller keeping its files in cfg.Dir.
func New(cfg Config) (*Controller, error) {
	if cfg.Dir == "" {
		return nil, errors.New("controller: Config.Dir is required")
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("controller: %w", err)
	}
	cfg.setDefaults()
	c := &Controller{
		cfg: cfg, dir: dir, log: cfg.Logger, asRoot: os.Geteuid() == 0,
		backoffMin: time.Second, backoffMax: time.Minute, backoffReset: time.Minute,
		grace: 5 * time.Second, now: time.Now,
		procs: map[string]*proc{}, builds: map[string]*buildCall{},
	}
	c.node.bin = cfg.Node
	c.prlimit, _ = exec.LookPath("prlimit")
	if n := len(c.socketPath(strings.Repeat("0", idLen))); n > maxSocketPath {
		return nil, fmt.Errorf("controller: the apps' socket paths under %s would be %d bytes, more than the %d unix sockets allow: choose a shorter Config.Dir", dir, n, maxSocketPath)
	}
	if err := c.makeDirs(); err != nil {
		return nil, err
	}
	if c.asRoot {
		if err := checkTraversable(filepath.Dir(dir)); err != nil {
			return nil, err
		}
	} else {
		c.log.Warn("controller: the runtime is not root, so apps run as its own user, without isolation from each other", "uid", os.Geteuid())
	}
	c.setupCgroups()
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

// setupCgroups prepares the apps' cgroups: cgroup v2 when its memory and cpu controllers are
// available to the runtime, else cgroup v1's; without either, limits fall back to rlimits.
func (c *Controller) setupCgroups() {
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		c.noCg = err.Error()
		c.log.Info("controller: no cgroup limits; falling back to rlimits", "reason", err)
		return
	}
	if c.cgroup, err = setupCgroup("/sys/fs/cgroup", self, os.Getpid()); err == nil {
		return
	}
	mountinfo, errV1 := os.ReadFile("/proc/self/mountinfo")
	if errV1 == nil {
		if c.cgV1, errV1 = setupCgroupV1(mountinfo, self); errV1 == nil {
			c.log.Info("controller: app limits through cgroup v1", "memory", c.cgV1.mem, "cpu", c.cgV1.cpu, "cgroup v2", err)
			return
		}
	}
	c.noCg = err.Error() + "; " + errV1.Error()
	c.log.Info("controller: no cgroup limits; falling back to rlimits", "reason", c.noCg)
}

// cgroupLimits reports whether apps get cgroups (v2 or v1) that bound their memory and CPU.
func (c *Controller) cgroupLimits() bool { return c.cgroup != "" || c.cgV1 != nil }

func (cfg *Config) setDefaults() {
	if cfg.Node == "" {
		cfg.Node, _ = exec.LookPath("node")
	}
	if cfg.NPM == "" {
		cfg.NPM, _ = exec.LookPath("npm")
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = DefaultStartTimeout
	}
	if cfg.MemoryMax <= 0 {
		cfg.MemoryMax = DefaultMemoryMax
	}
	if cfg.CPUMax <= 0 {
		cfg.CPUMax = DefaultCPUMax
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
}

// makeDirs creates the controller's directories and empties tmp of builds a crash left.
func (c *Controller) makeDirs() error {
	for _, d := range dirModes {
		p := c.path(d.name)
		if err := os.MkdirAll(p, d.mode); err != nil {
			return fmt.Errorf("controller: %w", err)
		}
		if err := os.Chmod(p, d.mode); err != nil {
			return fmt.Errorf("controller: %w", err)
		}
	}
	left, err := os.ReadDir(c.path("tmp"))
	if err != nil {
		return fmt.Errorf("controller: %w", err)
	}
	for _, e := range left {
		if err := os.RemoveAll(c.path("tmp", e.Name())); err != nil {
			return fmt.Errorf("controller: remove an unfinished build: %w", err)
		}
	}
	return nil
}

// checkTraversable reports a directory on the way to dir that other users cannot cross.
func checkTraversable(dir string) error {
	for {
		fi, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("controller: %w", err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("controller: %s (mode %o) is not traversable by other users, so the apps' users could not reach their files: make it o+x or choose another Config.Dir", dir, fi.Mode().Perm())
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
}

func (c *Controller) path(elem ...string) string {
	return filepath.Join(append([]string{c.dir}, elem...)...)
}

// socketPath is where the app with the given id listens. Its directory's name is short, so
// that the whole path fits in a unix socket address.
func (c *Controller) socketPath(id string) string {
	if len(id) > idLen/3*2 {
		id = id[:idLen/3*2]
	}
	return c.path("run", id, socketName)
}

// hash names the things of one controller: ids of apps, unix users.
func (c *Controller) hash(parts ...string) string {
	h := sha256.New()
	h.Write([]byte(c.dir))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))[:idLen]
}

func key(instance, slug string) string { return instance + "\x00" + slug }

// Close stops every app, waits for builds and starts in progress to end, and refuses new
// requests.
func (c *Controller) Close() error {
	c.mu.Lock()
	if c.closed.Swap(true) {
		c.mu.Unlock()
		return nil
	}
	c.cancel()
	procs := make([]*proc, 0, len(c.procs))
	for _, p := range c.procs {
		procs = append(procs, p)
	}
	c.mu.Unlock()
	errs := make([]error, len(procs))
	var wg sync.WaitGroup
	for i, p := range procs {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), c.grace+c.cfg.StartTimeout+10*time.Second)
			defer cancel()
			errs[i] = p.stop(ctx)
		})
	}
	wg.Wait()
	c.wg.Wait()
	for i, p := range procs {
		p.logs.Close()
		if errs[i] == nil {
			_ = c.removeCgroups(p.id) // made again when the app next starts
		}
	}
	return errors.Join(errs...)
}

// goTracked runs f in a goroutine that Close waits for; it reports false, without running f,
// once the controller is closed.
func (c *Controller) goTracked(f func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
	return true
}
