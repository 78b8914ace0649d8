package apps

import (
	"context"
	"errors"
	"fmt"

	"github.com/hearth-cloud/hearth/registry/gitsource"
)

// ErrTree is returned when an installed app's files are missing on this node and cannot be
// fetched again as they were installed.
var ErrTree = errors.New("apps: the app's files are not on this node")

// TreeDir returns the directory of the installed version's files. Trees live on the disk of
// the node that installed them; a node that shares the instance (several runtimes on one
// CouchDB) and lacks the tree fetches it again from the recorded source, pinned to the
// recorded commit or archive, and keeps it only if it makes the recorded tree. Concurrent
// callers wanting the same tree share one fetch.
func (s *Service) TreeDir(ctx context.Context, in *Installed) (string, error) {
	dir, err := s.Trees.Path(in.Tree)
	if !errors.Is(err, gitsource.ErrNotFound) {
		return dir, err
	}
	v, err, _ := s.treeFetches.Do(in.Tree, func() (any, error) {
		if dir, err := s.Trees.Path(in.Tree); err == nil { // another call just stored it
			return dir, nil
		}
		return s.refetch(context.WithoutCancel(ctx), in)
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// refetch fetches the installed version of in again and stores its tree.
func (s *Service) refetch(ctx context.Context, in *Installed) (string, error) {
	src := in.Source
	if src.Archive == "" {
		if in.Commit == "" {
			return "", fmt.Errorf("%w: %s has no recorded commit to fetch", ErrTree, in.Slug)
		}
		src.Ref = in.Commit
	}
	snap, err := s.Fetcher.Fetch(ctx, src)
	if err != nil {
		return "", fmt.Errorf("%w: fetching %s again from %s: %w", ErrTree, in.Slug, src.URL, err)
	}
	if snap.Tree != in.Tree {
		return "", fmt.Errorf("%w: %s from %s now makes tree %s, not the installed %s", ErrTree, in.Slug, src.URL, snap.Tree, in.Tree)
	}
	_, dir, err := s.Trees.Put(snap)
	if err != nil {
		return "", fmt.Errorf("apps: store the files of %s: %w", in.Slug, err)
	}
	return dir, nil
}
