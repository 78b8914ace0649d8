package gitindex

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/hearth-cloud/hearth/registry/gitsource"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// Defaults applied to the zero fields of an Indexer.
const (
	DefaultMaxTags     = 1000 // new release tags indexed by one run
	DefaultConcurrency = 4    // tags checked and archived at once
)

// SlugKey is the entry of Result.Refs (and so of known) that keeps the
// repository's slug between runs. Git refuses ':' in ref names, so it
// cannot collide with a ref.
const SlugKey = ":slug"

// Version is one version of an app, as a registry records it.
type Version struct {
	Tag           string // the release tag ("v1.2.0"); "" for the dev version
	Ref           string // the full ref name ("refs/tags/v1.2.0", "refs/heads/main")
	Commit        string
	Tree          string // the commit's root tree: the content's identity
	Version       string // the manifest's version
	Channel       manifest.Channel
	Manifest      json.RawMessage // hearth.json as found, validated
	ArchiveSHA256 string
	ArchiveSize   int64
}

// Problem is a tag (or the dev branch) that was refused, and why. Message
// is safe to show to the publisher.
type Problem struct {
	Tag     string // release tag or default branch name; "" for the whole repository
	Message string // "permissions.notes.doctype: not a doctype"
	// Retry is true when the failure may be temporary (network, storage):
	// the tag is left out of Result.Refs so that the next run tries again.
	Retry bool
}

// String is "tag: message"; a tag (a branch name, for dev) that is not
// plain ASCII letters, digits and ._/- is quoted and cut to 64 bytes.
func (p Problem) String() string {
	switch {
	case p.Tag == "":
		return p.Message
	case len(p.Tag) <= 64 && plainRefRe.MatchString(p.Tag):
		return p.Tag + ": " + p.Message
	}
	tag := p.Tag
	if len(tag) > 64 {
		tag = tag[:64]
	}
	return strconv.Quote(tag) + ": " + p.Message
}

// plainRefRe matches a ref name that reads safely unquoted.
var plainRefRe = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)

// Result is what one run of Index found.
type Result struct {
	Slug     string    // the repository's slug, "" while no version was indexed
	Versions []Version // release versions new in this run, in version order
	Dev      *Version  // the default branch's head, when it changed
	Problems []Problem // refused tags, sorted by tag
	// Refs maps ref names to commits, plus SlugKey: pass it back as known
	// on the next run.
	Refs map[string]string
	// Unchanged is true when nothing moved since known: one listing of
	// the refs was the whole run.
	Unchanged bool
}

// Remote is where repositories are read from: Git (GitRemote) in production, a wrapper in
// tests.
type Remote interface {
	Open(ctx context.Context, url string, policy gitsource.Policy) (Repo, error)
}

// Repo is a repository a Remote opened: its refs as listed then, and fetches of them.
type Repo interface {
	Refs() *gitsource.RemoteRefs
	FetchMany(ctx context.Context, refs []string) ([]gitsource.Fetched, error)
	Close() error
}

// GitRemote reads repositories with gitsource.
type GitRemote struct{}

var _ Remote = GitRemote{}

// Open calls gitsource.Open: the refs are listed once, and fetched through the same session.
func (GitRemote) Open(ctx context.Context, url string, policy gitsource.Policy) (Repo, error) {
	r, err := gitsource.Open(ctx, url, policy)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Indexer indexes app repositories. Its zero value fetches with gitsource
// under the safe default policy and stores no archive.
type Indexer struct {
	Policy   gitsource.Policy
	Archives ArchiveStore // nil: archives are built and hashed, not stored
	Remote   Remote       // nil: GitRemote
	// MaxTags bounds the new release tags one run indexes, oldest versions
	// first; the rest wait for the next run. 0 means DefaultMaxTags.
	MaxTags int
	// Concurrency bounds the tags checked and archived at once. 0 means DefaultConcurrency.
	Concurrency int
}

// Index lists the refs of the repository at url and indexes what is new
// since known (a previous Result.Refs, or nil). It fails only when the
// repository cannot be listed or ctx ends; refused tags are Problems.
func (ix *Indexer) Index(ctx context.Context, url string, known map[string]string) (*Result, error) {
	remote := ix.Remote
	if remote == nil {
		remote = GitRemote{}
	}
	repo, err := remote.Open(ctx, url, ix.Policy)
	if err != nil {
		return nil, fmt.Errorf("gitindex: list refs of %s: %w", url, err)
	}
	defer repo.Close()
	refs := repo.Refs()
	res := &Result{Slug: known[SlugKey], Refs: maps.Clone(known)}
	if res.Refs == nil {
		res.Refs = map[string]string{}
	}
	p := ix.plan(refs, known, res)
	if len(p.jobs) == 0 && len(res.Problems) == 0 {
		res.Unchanged = true
		return res, nil
	}
	batch := batchOf(ix.Archives)
	defer batch.Close()
	outs := ix.run(ctx, repo, p.jobs, batch)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := batch.Commit(ctx); err != nil {
		return nil, fmt.Errorf("gitindex: archives of %s not stored: %w", url, err)
	}
	ix.collect(res, outs)
	return res, nil
}

// collect settles the slug and files each outcome as a version, a dev
// version or a problem.
func (ix *Indexer) collect(res *Result, outs []outcome) {
	if res.Slug == "" {
		res.Slug = pickSlug(outs)
	}
	for _, o := range outs {
		if o.version != nil && o.slug != res.Slug {
			o.problem = &Problem{Tag: o.job.label(), Message: fmt.Sprintf(
				"slug: %q is not the repository's slug %q; every version must keep one slug", o.slug, res.Slug)}
			o.version = nil
		}
		switch {
		case o.problem != nil:
			res.Problems = append(res.Problems, *o.problem)
			if o.problem.Retry {
				continue
			}
		case o.job.dev:
			res.Dev = o.version
		default:
			res.Versions = append(res.Versions, *o.version)
		}
		res.Refs[o.job.ref] = o.job.commit
	}
	if res.Slug != "" {
		res.Refs[SlugKey] = res.Slug
	}
	sort.SliceStable(res.Versions, func(i, j int) bool {
		a, _ := manifest.ParseVersion(res.Versions[i].Version)
		b, _ := manifest.ParseVersion(res.Versions[j].Version)
		return a.Less(b)
	})
	sort.SliceStable(res.Problems, func(i, j int) bool { return res.Problems[i].Tag < res.Problems[j].Tag })
}

// pickSlug chooses a new repository's slug: the one of its highest
// release version, else the dev version's.
func pickSlug(outs []outcome) string {
	var best *outcome
	for i := range outs {
		o := &outs[i]
		if o.version == nil {
			continue
		}
		if best == nil || (best.job.dev && !o.job.dev) ||
			(!o.job.dev && !best.job.dev && best.job.version.Less(o.job.version)) {
			best = o
		}
	}
	if best == nil {
		return ""
	}
	return best.slug
}

// manifestMessage words a manifest error for the publisher: the field
// problems of a *manifest.ValidationError, else the error itself.
func manifestMessage(err error) string {
	var ve *manifest.ValidationError
	if !errors.As(err, &ve) {
		return strings.TrimPrefix(err.Error(), "manifest: ")
	}
	parts := make([]string, len(ve.Problems))
	for i, p := range ve.Problems {
		parts[i] = p.Error()
	}
	return strings.Join(parts, "; ")
}
