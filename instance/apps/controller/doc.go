// Package controller runs the installed node apps of the instance runtime: it installs their
// dependencies once per tree, starts each app on its first request, proxies HTTP and WebSocket
// traffic to it over a unix socket, restarts it with back-off when it crashes, stops it when
// idle, and keeps its logs.
//
// The API:
//
//	func New(cfg Config) (*Controller, error)
//	func (c *Controller) Build(ctx context.Context, app App) error
//	func (c *Controller) Handler(app App) http.Handler
//	func (c *Controller) Status(instance, slug string) Status
//	func (c *Controller) Logs(instance, slug string, max int) ([]byte, error)
//	func (c *Controller) Stop(ctx context.Context, instance, slug string) error
//	func (c *Controller) Remove(instance, slug string) error
//	func (c *Controller) Close() error
//
// An app is known by its instance and slug. Build runs `npm ci --omit=dev --ignore-scripts`
// (or `npm install …` when the manifest says "install") in a copy of the installed tree, once
// per tree hash, so every instance that installs the same version shares one build directory;
// it is read-only to the apps. A build that fails leaves nothing behind and returns an error
// (ErrBuild) whose message, with the cause npm gave, is safe to show the owner. Handler builds
// the tree too if Build was not called.
//
// When the runtime runs as root, each app runs as its own system user (created with useradd,
// named hearth-<hash>), with a home and a data directory only it can open, and no access to
// other apps' homes or to the controller's directories; npm runs as a build user of its own.
// Otherwise apps run as the runtime's user and New logs a warning. An app's environment holds
// only PATH, HOME, TMPDIR, NODE_ENV=production, HEARTH_SOCKET and PORT (both the unix socket
// path it must listen on: Node's server.listen accepts a path for a port), HEARTH_DATA_DIR,
// what App.Env returns (HEARTH_URL, HEARTH_TOKEN…), and NODE_OPTIONS when the memory limit
// falls back to it; never the runtime's own environment.
//
// An app starts on its first request, which waits until the app's socket accepts (at most
// Config.StartTimeout); it stops after Config.IdleTimeout without requests, open WebSockets or
// streamed responses (SIGTERM to its process group, then SIGKILL; and every process of its
// user or cgroup). An app that exits by itself restarts on a later request after a back-off
// doubling from 1 s to 1 min, which starts over after a minute of running; meanwhile, and
// when it failed to start, requests get 502 or 503 with a message for the owner (HTML or JSON
// after Accept), and Status and Logs say why.
//
// Resource limits: with cgroup v2 and its memory and cpu controllers available to the runtime
// (a cgroup delegated to it, such as systemd's Delegate=yes; when alone in its cgroup, the
// runtime moves into a leaf of it), each app gets a cgroup with memory.max and cpu.max. On a
// host whose memory and cpu controllers are on cgroup v1 hierarchies, each app gets a cgroup
// in both, children of the runtime's, with memory.limit_in_bytes (and memsw's, when swap is
// accounted) and cpu.cfs_quota_us; v1 cannot start a process in a cgroup, so the app's
// process joins them right after its exec, while prlimit or Node is still starting. Without
// either, memory is bounded with RLIMIT_DATA and Node's --max-old-space-size, and CPU is not
// limited. An app's cgroups are removed when it is removed or the controller closes. Open
// files (and, for apps with their own user, processes) are bounded with rlimits either way,
// set by util-linux's prlimit before the app runs (without it, on the running process, which
// needs CAP_SYS_RESOURCE for another user). Status.Limits says which apply.
//
// Layout under Config.Dir: builds/<tree> (build directories), homes/<id> (each app's HOME, with
// data/ and tmp/), run/<id> (its socket directory), logs/<id>/app.log (its output, rotated at
// 1 MiB, one old file kept), logs/builds/<tree>.log (npm's output), npm/ (npm's cache), tmp/
// (builds in progress). The id is a hash of the directory, the instance and the slug.
package controller
