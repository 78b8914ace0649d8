package gitsource

import (
	"context"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
)

// Fetched is one ref's result of FetchMany: its snapshot, or why it was refused.
type Fetched struct {
	Ref  string
	Snap *Snapshot
	Err  error
}

// FetchMany fetches the trees of several advertised refs (tags or branches, as Fetch names
// them) of the repository at rawURL through one session and one pack, and checks each as
// Fetch does. It is how a registry indexes many tags at the cost of about one clone. A ref
// that cannot be resolved, or whose tree is refused, gets its own error; an error of the whole
// fetch (the URL, the connection, the pack's size) is returned as err. policy.MaxFetchBytes
// bounds the one pack, and so the objects of all the refs together.
func FetchMany(ctx context.Context, rawURL string, refs []string, policy Policy) ([]Fetched, error) {
	policy = policy.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, policy.Timeout)
	defer cancel()
	s, err := openSession(ctx, rawURL, policy)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	out := make([]Fetched, len(refs))
	wants := make([]plumbing.Hash, 0, len(refs))
	seen := map[plumbing.Hash]bool{}
	resolved := make([]plumbing.Hash, len(refs))
	for i, ref := range refs {
		out[i].Ref = ref
		want, advertised, err := s.resolve(ref)
		switch {
		case err != nil:
			out[i].Err = err
			continue
		case !advertised:
			out[i].Err = fmt.Errorf("%w: %s is not a ref of %s", ErrRefNotFound, refLabel(ref), rawURL)
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
	sto, err := s.download(ctx, wants, true, policy)
	if err != nil {
		return nil, err
	}
	for i, want := range resolved {
		if out[i].Err != nil {
			continue
		}
		out[i].Snap, out[i].Err = snapshotAt(sto, want, rawURL, refs[i], policy)
	}
	return out, nil
}
