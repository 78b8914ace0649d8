package gitsource

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
)

// maxTagChain bounds how many annotated tags may point at each other.
const maxTagChain = 8

// Fetch fetches the tree of one ref of the repository at rawURL into memory
// and checks it under policy. ref is a tag or branch name ("v1.2.0",
// "main"), a full ref name ("refs/tags/v1.2.0"), a full commit hash, or ""
// for the remote's HEAD. Tags win over branches of the same name.
func Fetch(ctx context.Context, rawURL, ref string, policy Policy) (*Snapshot, error) {
	policy = policy.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, policy.Timeout)
	defer cancel()
	s, err := openSession(ctx, rawURL, policy)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	want, advertised, err := s.resolve(ref)
	if err != nil {
		return nil, err
	}
	sto, err := s.download(ctx, []plumbing.Hash{want}, true, policy)
	if err != nil && !advertised && !isPolicyError(err) && ctx.Err() == nil {
		// The remote may refuse a hash no ref points at: fetch every
		// branch and tag, whole, and look for it there.
		sto, err = s.download(ctx, s.tips(), false, policy)
	}
	if err != nil {
		return nil, err
	}
	if _, err := peelToCommit(sto, want); err != nil && !advertised {
		return nil, fmt.Errorf("%w: no commit %s in %s", ErrRefNotFound, want, rawURL)
	}
	return snapshotAt(sto, want, rawURL, ref, policy)
}

// snapshotAt checks the tree of the commit want (peeled) names in sto, fetched from rawURL
// as ref.
func snapshotAt(sto *memory.Storage, want plumbing.Hash, rawURL, ref string, policy Policy) (*Snapshot, error) {
	commit, err := peelToCommit(sto, want)
	if err != nil {
		return nil, fmt.Errorf("%w: %s in %s: %w", ErrRefNotFound, refLabel(ref), rawURL, err)
	}
	snap, err := snapshotOf(sto, commit, policy)
	if err != nil {
		return nil, err
	}
	snap.URL, snap.Ref = rawURL, ref
	return snap, nil
}

// tips lists the objects of every advertised branch and tag.
func (s *session) tips() []plumbing.Hash {
	seen := map[plumbing.Hash]bool{}
	var out []plumbing.Hash
	for name, h := range s.adv.References {
		if (strings.HasPrefix(name, "refs/heads/") || strings.HasPrefix(name, "refs/tags/")) && !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}

// peelToCommit follows annotated tags from h to a commit.
func peelToCommit(sto *memory.Storage, h plumbing.Hash) (*object.Commit, error) {
	for range maxTagChain {
		obj, err := sto.EncodedObject(plumbing.AnyObject, h)
		if err != nil {
			return nil, fmt.Errorf("object %s not received: %w", h, err)
		}
		switch obj.Type() {
		case plumbing.CommitObject:
			return object.DecodeCommit(sto, obj)
		case plumbing.TagObject:
			tag, err := object.DecodeTag(sto, obj)
			if err != nil {
				return nil, err
			}
			h = tag.Target
		default:
			return nil, fmt.Errorf("%s is a %s, not a commit", h, obj.Type())
		}
	}
	return nil, fmt.Errorf("more than %d nested tags", maxTagChain)
}

// isPolicyError reports whether err is a refusal that retrying differently
// cannot fix.
func isPolicyError(err error) bool {
	for _, sentinel := range []error{ErrAddress, ErrHost, ErrScheme, ErrCredentials, ErrURL, ErrTooLarge, ErrTimeout} {
		if errors.Is(err, sentinel) {
			return true
		}
	}
	return false
}

func refLabel(ref string) string {
	if ref == "" {
		return "HEAD"
	}
	return fmt.Sprintf("%q", ref)
}
