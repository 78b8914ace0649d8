package gitsource

import (
	"context"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
)

// Repo is a remote repository opened once: the refs it advertised then, and fetches of them
// through the same session, so that listing the refs and fetching some costs one
// advertisement. Close it when done.
type Repo struct {
	s      *session
	policy Policy
}

// Open checks rawURL under policy and reads the refs the repository advertises; policy's
// Timeout bounds this call.
func Open(ctx context.Context, rawURL string, policy Policy) (*Repo, error) {
	policy = policy.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, policy.Timeout)
	defer cancel()
	s, err := openSession(ctx, rawURL, policy)
	if err != nil {
		return nil, err
	}
	return &Repo{s: s, policy: policy}, nil
}

// Close ends the session.
func (r *Repo) Close() error { return r.s.Close() }

// Refs returns the branches and tags the repository advertised when it was opened.
func (r *Repo) Refs() *RemoteRefs { return r.s.refs() }

// FetchMany fetches the trees of several refs as advertised when r was opened (tags or
// branches, as Fetch names them) in one pack, and checks each as Fetch does. It is how a
// registry indexes many tags at the cost of about one clone. A ref that cannot be resolved,
// or whose tree is refused, gets its own error; an error of the whole fetch (the connection,
// the pack's size) is returned as err. The policy's MaxFetchBytes bounds the one pack, and
// so the objects of all the refs together; its Timeout bounds this call.
func (r *Repo) FetchMany(ctx context.Context, refs []string) ([]Fetched, error) {
	ctx, cancel := context.WithTimeout(ctx, r.policy.Timeout)
	defer cancel()
	out := make([]Fetched, len(refs))
	wants := make([]plumbing.Hash, 0, len(refs))
	seen := map[plumbing.Hash]bool{}
	resolved := make([]plumbing.Hash, len(refs))
	for i, ref := range refs {
		out[i].Ref = ref
		want, advertised, err := r.s.resolve(ref)
		switch {
		case err != nil:
			out[i].Err = err
			continue
		case !advertised:
			out[i].Err = fmt.Errorf("%w: %s is not a ref of %s", ErrRefNotFound, refLabel(ref), r.s.url)
			continue
		}
		resolved[i] = want
		if !seen[want] {
			seen[want] = true
			wants = append(wants, want)
		}
	}
	if len(wants) == 0 {
		return out, nil
	}
	sto, err := r.s.download(ctx, wants, true, r.policy)
	if err != nil {
		return nil, err
	}
	for i, want := range resolved {
		if out[i].Err != nil {
			continue
		}
		out[i].Snap, out[i].Err = snapshotAt(sto, want, r.s.url, refs[i], r.policy)
	}
	return out, nil
}
