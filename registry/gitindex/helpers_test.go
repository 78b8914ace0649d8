package gitindex

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/hearth-cloud/hearth/internal/testsvc"
	"github.com/hearth-cloud/hearth/registry/gitsource"
)

// appFiles is the tree of a small static app with this slug and version.
func appFiles(slug, version string) map[string]string {
	return map[string]string{
		"hearth.json": fmt.Sprintf(`{"slug": %q, "name": "Notes", "version": %q, "kind": "static",
  "permissions": {"notes": {"doctype": "io.hearth.notes", "description": "To keep your notes."}}}`, slug, version),
		"index.html": "<h1>" + version + "</h1>",
	}
}

// serve serves bare over a real git http-backend and returns its URL.
func serve(t testing.TB, bare string) string {
	t.Helper()
	return testsvc.GitHTTP(t, filepath.Dir(bare)) + "/app.git"
}

// countingRemote is GitRemote counting what it is asked.
type countingRemote struct {
	GitRemote
	mu      sync.Mutex // guards the fields below
	lists   int
	fetched []string
}

func (r *countingRemote) Open(ctx context.Context, url string, p gitsource.Policy) (Repo, error) {
	r.mu.Lock()
	r.lists++
	r.mu.Unlock()
	repo, err := r.GitRemote.Open(ctx, url, p)
	if err != nil {
		return nil, err
	}
	return &countingRepo{Repo: repo, remote: r}, nil
}

// countingRepo is a Repo of a countingRemote.
type countingRepo struct {
	Repo
	remote *countingRemote
}

func (r *countingRepo) FetchMany(ctx context.Context, refs []string) ([]gitsource.Fetched, error) {
	r.remote.mu.Lock()
	r.remote.fetched = append(r.remote.fetched, refs...)
	r.remote.mu.Unlock()
	return r.Repo.FetchMany(ctx, refs)
}

// take returns and resets the counts.
func (r *countingRemote) take() (lists int, fetched []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	lists, fetched = r.lists, r.fetched
	r.lists, r.fetched = 0, nil
	slices.Sort(fetched)
	return lists, fetched
}

// newIndexer returns an indexer for loopback repositories, its counting
// remote and its archive directory.
func newIndexer(t testing.TB) (*Indexer, *countingRemote, DirArchives) {
	t.Helper()
	remote := &countingRemote{}
	store := DirArchives{Dir: t.TempDir()}
	return &Indexer{Policy: gitsource.Policy{AllowPrivate: true}, Archives: store, Remote: remote}, remote, store
}

// index runs ix and fails the test on error.
func index(t testing.TB, ix *Indexer, url string, known map[string]string) *Result {
	t.Helper()
	res, err := ix.Index(context.Background(), url, known)
	if err != nil {
		t.Fatalf("Index: %v", err)
	}
	return res
}

// tagsOf lists the tags of versions.
func tagsOf(vs []Version) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Tag)
	}
	return out
}

// problemFor returns the problem of tag, failing the test when there is none.
func problemFor(t testing.TB, res *Result, tag string) Problem {
	t.Helper()
	for _, p := range res.Problems {
		if p.Tag == tag {
			return p
		}
	}
	t.Fatalf("no problem for %q in %+v", tag, res.Problems)
	return Problem{}
}
