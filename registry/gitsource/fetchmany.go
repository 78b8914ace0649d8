package gitsource

import (
	"context"
)

// Fetched is one ref's result of FetchMany: its snapshot, or why it was refused.
type Fetched struct {
	Ref  string
	Snap *Snapshot
	Err  error
}

// FetchMany opens the repository at rawURL and fetches refs as Repo.FetchMany does; an error
// of the URL is returned as err too. Timeout bounds the whole call.
func FetchMany(ctx context.Context, rawURL string, refs []string, policy Policy) ([]Fetched, error) {
	policy = policy.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, policy.Timeout)
	defer cancel()
	r, err := Open(ctx, rawURL, policy)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.FetchMany(ctx, refs)
}
