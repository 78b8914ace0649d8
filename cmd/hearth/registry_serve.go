package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/gitsource"
	"github.com/hearth-cloud/hearth/registry/server"
	"github.com/hearth-cloud/hearth/registry/store"
)

// registryKeyFile is the registry's signing key, in its data directory.
const registryKeyFile = "registry.key"

// registryFlags are the options of "hearth registry serve".
type registryFlags struct {
	addr, dataDir, databaseURL, name, publicURL, logLevel string
	samples                                               string
	allowPrivateGit                                       bool
	refreshInterval, followInterval                       time.Duration
}

func registryServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("registry serve", "hearth registry serve [flags]", stderr)
	var f registryFlags
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8081", "listener address")
	fs.StringVar(&f.dataDir, "data-dir", "./registry-data", "directory holding the key, the archives and the SQLite database")
	fs.StringVar(&f.databaseURL, "database-url", "", "keep the rows in this PostgreSQL (postgres://…) instead of SQLite")
	fs.StringVar(&f.name, "name", "", "the registry's name (default: the host of --public-url)")
	fs.StringVar(&f.publicURL, "public-url", "", "the URL people and other registries reach it at (default: http://<addr>)")
	fs.BoolVar(&f.allowPrivateGit, "allow-private-git", false, "allow Git servers on loopback or private addresses")
	fs.DurationVar(&f.refreshInterval, "refresh-interval", server.DefaultRefreshInterval, "how often every app is re-indexed")
	fs.DurationVar(&f.followInterval, "follow-interval", DefaultFollowInterval, "how often the feeds of the registries it follows are pulled")
	fs.StringVar(&f.samples, "samples", "", "publish each app directory of this directory as a sample app (needs git and --allow-private-git)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: registry serve takes no arguments, got %q", errUsage, fs.Args())
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return fmt.Errorf("%w: --log-level %q", errUsage, f.logLevel)
	}
	if f.refreshInterval < time.Second || f.followInterval < time.Second {
		return fmt.Errorf("%w: --refresh-interval and --follow-interval must be at least 1s", errUsage)
	}
	if f.samples != "" && !f.allowPrivateGit {
		return fmt.Errorf("%w: --samples serves the sample repositories on this registry's own address: it needs --allow-private-git", errUsage)
	}
	origin, err := f.origin()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	signer, err := entry.LoadOrCreateKey(filepath.Join(f.dataDir, registryKeyFile))
	if err != nil {
		return fmt.Errorf("registry key: %w", err)
	}
	origin.Key = signer.Fingerprint()
	st, err := store.Open(ctx, f.databaseURL, f.dataDir, store.Options{Origin: origin, Signer: signer})
	if err != nil {
		return err
	}
	defer st.Close()
	srv, err := server.New(server.Config{DataDir: f.dataDir, RefreshInterval: f.refreshInterval,
		Policy: gitsource.Policy{AllowPrivate: f.allowPrivateGit}}, st, log)
	if err != nil {
		return err
	}
	followCtx, stopFollowing := context.WithCancel(ctx)
	followed := make(chan struct{})
	go func() {
		newFollower(st, f.dataDir, f.allowPrivateGit, log).Run(followCtx, st.Peers, f.followInterval)
		close(followed)
	}()
	defer func() { stopFollowing(); <-followed }()
	if f.samples == "" {
		return serveRegistry(ctx, f.addr, srv, srv.Handler(), origin, stdout, log, nil)
	}
	sm, err := newSamples(f.samples, f.dataDir, log)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/"+samplesDir+"/", sm.handler())
	mux.Handle("/", srv.Handler())
	return serveRegistry(ctx, f.addr, srv, mux, origin, stdout, log, func(ctx context.Context, base string) {
		slugs, err := sm.publish(ctx, base)
		if err != nil && ctx.Err() == nil {
			log.Error("sample apps", "err", err)
		}
		if len(slugs) > 0 {
			fmt.Fprintf(stdout, "Sample apps: %s\n", strings.Join(slugs, ", "))
		}
	})
}

// origin is the registry's name and URL as the flags give them.
func (f *registryFlags) origin() (entry.Origin, error) {
	public := f.publicURL
	if public == "" {
		public = "http://" + f.addr
	}
	u, err := url.Parse(public)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return entry.Origin{}, fmt.Errorf("%w: --public-url %q is not an http(s) URL", errUsage, public)
	}
	name := f.name
	if name == "" {
		name = u.Host
	}
	return entry.Origin{Name: name, URL: public}, nil
}

// serveRegistry listens on addr and serves h, with srv's refresh loop,
// until ctx ends; ready, when not nil, runs once it listens, with the base URL it listens at.
func serveRegistry(ctx context.Context, addr string, srv *server.Server, h http.Handler, origin entry.Origin, stdout io.Writer,
	log *slog.Logger, ready func(ctx context.Context, base string)) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	loopCtx, stopLoop := context.WithCancel(ctx)
	loopDone := make(chan error, 1)
	go func() { loopDone <- srv.Run(loopCtx) }()
	served := make(chan error, 1)
	go func() { served <- hs.Serve(l) }()
	fmt.Fprintf(stdout, "Registry %s at %s (listening on %s)\nKey: %s\nStop with Ctrl-C.\n", origin.Name, origin.URL, l.Addr(), origin.Key)
	readyDone := make(chan struct{})
	go func() {
		defer close(readyDone)
		if ready != nil {
			ready(loopCtx, "http://"+loopbackOf(l.Addr()))
		}
	}()
	defer func() { <-readyDone }()
	select {
	case err = <-served:
	case <-ctx.Done():
		shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = hs.Shutdown(shutCtx)
		cancel()
	}
	stopLoop()
	<-loopDone
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Info("registry stopped")
	return err
}

// loopbackOf is the address to reach a listener on this machine at: its own, or loopback
// when it listens on every address.
func loopbackOf(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}
