package gitindex

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/hearth-cloud/hearth/registry/archive"
	"github.com/hearth-cloud/hearth/registry/gitsource"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// outcome is what indexing one job gave: a version and its slug, or a
// problem.
type outcome struct {
	job     job
	version *Version
	slug    string
	problem *Problem
}

// batchRefs is how many refs one pack brings: all of a repository's new tags cost about one
// clone, while a pack's size stays bounded by the policy.
const batchRefs = 256

// run fetches the jobs' refs, batchRefs to a pack, and indexes them with at most
// ix.concurrency() archives built at once, written to batch; it returns the outcomes in the
// jobs' order.
func (ix *Indexer) run(ctx context.Context, repo Repo, jobs []job, batch ArchiveBatch) []outcome {
	outs := make([]outcome, len(jobs))
	sem := make(chan struct{}, ix.concurrency())
	var wg sync.WaitGroup
	for start := 0; start < len(jobs); start += batchRefs {
		pack := jobs[start:min(start+batchRefs, len(jobs))]
		refs := make([]string, len(pack))
		for i, j := range pack {
			refs[i] = j.ref
		}
		fetched, err := repo.FetchMany(ctx, refs)
		for i, j := range pack {
			var f gitsource.Fetched
			if err != nil {
				f.Err = err
			} else {
				f = fetched[i]
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				wg.Wait()
				return outs
			}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				outs[start+i] = ix.index(ctx, j, f, batch)
			}()
		}
	}
	wg.Wait()
	return outs
}

// index turns one fetched ref into a version or a problem, its archive written to batch.
func (ix *Indexer) index(ctx context.Context, j job, f gitsource.Fetched, batch ArchiveBatch) outcome {
	out := outcome{job: j}
	fail := func(retry bool, format string, args ...any) outcome {
		out.problem = &Problem{Tag: j.label(), Message: fmt.Sprintf(format, args...), Retry: retry}
		return out
	}
	snap, err := f.Snap, f.Err
	if err != nil {
		return fail(transient(err), "%v", err)
	}
	if snap.Commit != j.commit {
		return fail(true, "moved to commit %s while being indexed", snap.Commit)
	}
	raw, err := snap.ReadFile(manifest.FileName)
	if errors.Is(err, gitsource.ErrNotFound) {
		return fail(false, "%s: missing at the root of the tree", manifest.FileName)
	}
	if err != nil {
		return fail(true, "%s: %v", manifest.FileName, err)
	}
	m, err := manifest.Load(raw)
	if err != nil {
		return fail(false, "%s", manifestMessage(err))
	}
	v := &Version{Ref: j.ref, Commit: snap.Commit, Tree: snap.Tree, Version: m.Version,
		Channel: manifest.ChannelDev, Manifest: raw}
	if !j.dev {
		if m.Version != j.version.String() {
			return fail(false, "version: %q is not the tag's version %q", m.Version, j.version.String())
		}
		v.Tag, v.Channel = j.name, j.version.Channel()
	}
	var info archive.Info
	var archErr error
	err = batch.Write(ctx, func(w io.Writer) (string, error) {
		info, archErr = archive.Write(w, snap)
		return info.SHA256, archErr
	})
	if archErr != nil {
		return fail(false, "archive: %v", archErr)
	}
	if err != nil {
		return fail(true, "the archive could not be stored; it will be tried again")
	}
	v.ArchiveSHA256, v.ArchiveSize = info.SHA256, info.Size
	out.version, out.slug = v, m.Slug
	return out
}

// transient reports whether a fetch error may go away on its own, so the
// tag should be tried again on the next run.
func transient(err error) bool {
	return errors.Is(err, gitsource.ErrUnreachable) || errors.Is(err, gitsource.ErrTimeout) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
