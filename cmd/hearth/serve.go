package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/hearth-cloud/hearth/instance/apps"
	"github.com/hearth-cloud/hearth/instance/datasys"
	"github.com/hearth-cloud/hearth/instance/owner"
	"github.com/hearth-cloud/hearth/instance/runtime"
	"github.com/hearth-cloud/hearth/instance/tenants"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "hearth serve [flags]", stderr)
	var cfg runtime.Config
	fs.StringVar(&cfg.Addr, "addr", ":8080", "public listener address")
	fs.StringVar(&cfg.AdminAddr, "admin-addr", "127.0.0.1:6060", "admin API listener address (keep it private)")
	fs.StringVar(&cfg.DataDir, "data-dir", "./hearth-data", "directory holding everything the runtime stores")
	fs.StringVar(&cfg.CouchDBURL, "couchdb-url", "", "store documents on this CouchDB server instead of the embedded engine")
	fs.StringVar(&cfg.RedisURL, "redis-url", "", "carry realtime events through this Redis instead of in-process")
	fs.StringVar(&cfg.AdminSecret, "admin-secret", "", "admin API secret (default: generated into the data directory)")
	fs.Int64Var(&cfg.MaxDocSize, "max-doc-size", datasys.DefaultMaxDocSize, "largest document or attachment accepted, in bytes")
	fs.BoolVar(&cfg.AllowPrivateGit, "allow-private-git", false, "allow installing apps from Git servers on loopback or private addresses")
	fs.StringVar(&cfg.PublicScheme, "public-scheme", "http", "how browsers reach the instances: http, or https behind a proxy that terminates TLS")
	fs.StringVar(&cfg.FlatAppsDomain, "flat-apps-domain", "", "serve apps at {instance}-{slug}.DOMAIN for instances directly under DOMAIN (single-level wildcard certificates)")
	fs.DurationVar(&cfg.AppIdleTimeout, "app-idle-timeout", 10*time.Minute, "stop a node app after this long without requests")
	fs.DurationVar(&cfg.IdleConnTimeout, "idle-conn-timeout", runtime.DefaultIdleConnTimeout, "close a client's keep-alive connection after this long without a request")
	fs.Var(registriesFlag{&cfg.Registries}, "registry", "trust this app registry, URL=ed25519:KEY (repeat, in priority order; the environment twin separates them with commas)")
	appMemory := fs.Int64("app-memory-mb", 512, "memory limit of each node app, in MiB")
	initInstance := fs.String("init-instance", "", "create this instance at start if the runtime has none")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: serve takes no arguments, got %q", errUsage, fs.Args())
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("%w: --log-level %q", errUsage, *logLevel)
	}
	if cfg.PublicScheme != "http" && cfg.PublicScheme != "https" {
		return fmt.Errorf("%w: --public-scheme must be http or https", errUsage)
	}
	if *appMemory < 64 || cfg.AppIdleTimeout < time.Second || cfg.IdleConnTimeout < time.Second {
		return fmt.Errorf("%w: --app-memory-mb must be at least 64, --app-idle-timeout and --idle-conn-timeout at least 1s", errUsage)
	}
	cfg.AppMemoryMax = *appMemory << 20
	if cfg.MaxDocSize <= 0 {
		return fmt.Errorf("%w: --max-doc-size must be positive", errUsage)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	rt, err := runtime.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer rt.Close()
	if *initInstance != "" {
		if err := ensureFirstInstance(ctx, rt, *initInstance, cfg, stdout); err != nil {
			return err
		}
	}
	// A small live heap collects less often under load; many instances collect as by default.
	runtime.KeepGCHeadroom(ctx, runtime.DefaultGCHeadroom)
	err = rt.Serve(ctx)
	log.Info("stopped")
	return err
}

// ensureFirstInstance creates domain when the runtime has no instance yet, and tells the person
// who just started Hearth how to use it.
func ensureFirstInstance(ctx context.Context, rt *runtime.Runtime, domain string, cfg runtime.Config, out io.Writer) error {
	if len(rt.Instances().List()) == 0 {
		if _, err := rt.Instances().Add(ctx, domain); err != nil && !errors.Is(err, tenants.ErrExists) {
			return err
		}
	}
	self, _ := os.Executable()
	if wd, err := os.Getwd(); err == nil && strings.HasPrefix(self, wd+"/") {
		self = "./" + strings.TrimPrefix(self, wd+"/")
	}
	flags := ""
	if cfg.DataDir != "./hearth-data" {
		flags = " --data-dir " + cfg.DataDir
	}
	if cfg.AdminAddr != "127.0.0.1:6060" {
		flags += " --admin-url http://" + cfg.AdminAddr
	}
	scheme := cfg.PublicScheme
	if scheme == "" {
		scheme = "http"
	}
	welcome := fmt.Sprintf("Log in at %s://%s/", scheme, domain)
	if inst, err := rt.Instances().Get(ctx, domain); err == nil {
		link, _, err := rt.FirstOnboarding(ctx, inst)
		switch {
		case err == nil:
			welcome = "Open this one-time link to set your passphrase:\n  " + link
		case !errors.Is(err, owner.ErrAlreadyOnboarded):
			return err
		}
	}
	tok := fmt.Sprintf("%s instances token%s %s io.hearth.notes", self, flags, domain)
	fmt.Fprintf(out, `
Hearth is running. Instance: %[3]s://%[1]s/
%[4]s

Get a token for the notes doctype:
  %[2]s

Write and read a note:
  TOKEN=$(%[2]s)
  curl -X POST %[3]s://%[1]s/data/io.hearth.notes/ -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"title":"Hello"}'
  curl '%[3]s://%[1]s/data/io.hearth.notes/_all_docs?include_docs=true' -H "Authorization: Bearer $TOKEN"

Stop with Ctrl-C.

`, domain, tok, scheme, welcome)
	return nil
}

// registriesFlag collects trusted registries, URL=ed25519:KEY, in the order given: the flag
// repeats, and one value (its environment twin, say) may hold several separated by commas.
type registriesFlag struct{ list *[]apps.Registry }

func (f registriesFlag) String() string {
	if f.list == nil {
		return ""
	}
	var parts []string
	for _, r := range *f.list {
		parts = append(parts, r.String())
	}
	return strings.Join(parts, ",")
}

func (f registriesFlag) Set(v string) error {
	rs, err := apps.ParseRegistries(v)
	if err != nil {
		return err
	}
	*f.list = append(*f.list, rs...)
	return nil
}
