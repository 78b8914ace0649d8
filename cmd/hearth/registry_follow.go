package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/follow"
	"github.com/hearth-cloud/hearth/registry/gitindex"
	"github.com/hearth-cloud/hearth/registry/gitsource"
	"github.com/hearth-cloud/hearth/registry/store"
)

// DefaultFollowInterval is how often "registry serve" pulls its peers' feeds.
const DefaultFollowInterval = time.Minute

// registryFollow is "hearth registry follow <url> --key <fingerprint>": it checks that the
// peer publishes the pinned key, records it, and mirrors it once; "registry serve" then keeps
// mirroring it.
func registryFollow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("registry follow", "hearth registry follow <url> --key ed25519:… [flags]", stderr)
	key := fs.String("key", "", "the peer's key fingerprint, as it publishes it (required)")
	dataDir := fs.String("data-dir", "./registry-data", "this registry's data directory")
	databaseURL := fs.String("database-url", "", "this registry's PostgreSQL (postgres://…), if not SQLite")
	allowPrivate := fs.Bool("allow-private-git", false, "allow peers on loopback or private addresses")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: registry follow takes the peer's URL", errUsage)
	}
	peerURL := strings.TrimRight(fs.Arg(0), "/")
	if _, err := entry.ParseFingerprint(*key); err != nil {
		return fmt.Errorf("%w: --key: %w", errUsage, err)
	}
	st, err := openRegistryStore(ctx, *dataDir, *databaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	f := newFollower(st, *dataDir, *allowPrivate, nil)
	name, err := f.Check(ctx, peerURL, *key)
	if err != nil {
		return err
	}
	p, err := st.AddPeer(ctx, peerURL, *key)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Following %s (%s).\n", name, peerURL)
	rep, err := f.Sync(ctx, p)
	if err != nil {
		return fmt.Errorf("first pass: %w (the peer is kept: \"registry serve\" retries it)", err)
	}
	fmt.Fprintf(stdout, "Mirrored %d entries, %d refused, up to the peer's change %d.\n", rep.Applied, rep.Refused, rep.LastSeq)
	for _, r := range rep.Reasons {
		fmt.Fprintln(stdout, "  refused:", r)
	}
	return nil
}

// registryKey prints the fingerprint of the registry's key, creating the key when the data
// directory has none yet: what instances pin with --registry URL=KEY.
func registryKey(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("registry key", "hearth registry key [--data-dir D]", stderr)
	dataDir := fs.String("data-dir", "./registry-data", "the registry's data directory")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: registry key takes no arguments", errUsage)
	}
	signer, err := entry.LoadOrCreateKey(filepath.Join(*dataDir, registryKeyFile))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, signer.Fingerprint())
	return nil
}

// openRegistryStore opens the rows of the registry whose data directory is dataDir, with its key.
func openRegistryStore(ctx context.Context, dataDir, databaseURL string) (*store.Store, error) {
	signer, err := entry.LoadOrCreateKey(filepath.Join(dataDir, registryKeyFile))
	if err != nil {
		return nil, fmt.Errorf("registry key: %w", err)
	}
	// The name and URL only go into entries this registry signs, which following does not.
	origin := entry.Origin{Name: "local", Key: signer.Fingerprint()}
	return store.Open(ctx, databaseURL, dataDir, store.Options{Origin: origin, Signer: signer})
}

// newFollower mirrors into st and the archives of dataDir.
func newFollower(st *store.Store, dataDir string, allowPrivate bool, log *slog.Logger) *follow.Follower {
	return &follow.Follower{Store: st, Log: log,
		Archives: gitindex.DirArchives{Dir: filepath.Join(dataDir, "archives")},
		Policy:   gitsource.Policy{AllowPrivate: allowPrivate}}
}
