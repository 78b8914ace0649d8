package gitsource

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
)

// Ref is a branch or tag of a remote repository.
type Ref struct {
	Name   string // short name: "v1.2.0", "main"
	Full   string // full name: "refs/tags/v1.2.0"
	Commit string // the commit it points to, annotated tags peeled
}

// RemoteRefs are the branches and tags a remote advertises, sorted by name.
type RemoteRefs struct {
	DefaultBranch string // the branch HEAD points to, "" if unknown
	Head          string // the commit of HEAD, "" for an empty repository
	Branches      []Ref
	Tags          []Ref
}

// ListRefs lists the branches and tags of the repository at rawURL without
// fetching any object.
func ListRefs(ctx context.Context, rawURL string, policy Policy) (*RemoteRefs, error) {
	r, err := Open(ctx, rawURL, policy)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.Refs(), nil
}

// refs turns the advertised references into RemoteRefs.
func (s *session) refs() *RemoteRefs {
	out := &RemoteRefs{}
	if s.adv.Head != nil {
		out.Head = s.adv.Head.String()
	}
	for name, hash := range s.adv.References {
		switch {
		case strings.HasPrefix(name, "refs/heads/"):
			out.Branches = append(out.Branches, Ref{Name: strings.TrimPrefix(name, "refs/heads/"), Full: name, Commit: hash.String()})
		case strings.HasPrefix(name, "refs/tags/") && !strings.HasSuffix(name, "^{}"):
			commit := hash
			if peeled, ok := s.adv.Peeled[name]; ok {
				commit = peeled
			}
			out.Tags = append(out.Tags, Ref{Name: strings.TrimPrefix(name, "refs/tags/"), Full: name, Commit: commit.String()})
		}
	}
	sort.Slice(out.Branches, func(i, j int) bool { return out.Branches[i].Name < out.Branches[j].Name })
	sort.Slice(out.Tags, func(i, j int) bool { return out.Tags[i].Name < out.Tags[j].Name })
	out.DefaultBranch = s.defaultBranch(out)
	return out
}

// defaultBranch reads HEAD's target from the symref capability, else guesses
// the branch whose commit is HEAD's.
func (s *session) defaultBranch(refs *RemoteRefs) string {
	for _, v := range s.adv.Capabilities.Get(capability.SymRef) {
		if target, ok := strings.CutPrefix(v, "HEAD:refs/heads/"); ok {
			return target
		}
	}
	for _, b := range refs.Branches {
		if b.Commit == refs.Head && (b.Name == "main" || b.Name == "master") {
			return b.Name
		}
	}
	for _, b := range refs.Branches {
		if b.Commit == refs.Head {
			return b.Name
		}
	}
	return ""
}

// resolve finds what to ask the remote for: the object a ref names (a
// commit or an annotated tag), or a full commit hash. advertised is false
// for a hash no ref points at.
func (s *session) resolve(ref string) (want plumbing.Hash, advertised bool, err error) {
	if ref == "" || ref == "HEAD" {
		if s.adv.Head == nil {
			return plumbing.ZeroHash, false, fmt.Errorf("%w: the repository has no HEAD (empty?)", ErrRefNotFound)
		}
		return *s.adv.Head, true, nil
	}
	if isFullHash(ref) {
		h := plumbing.NewHash(ref)
		for _, v := range s.adv.References {
			if v == h {
				return h, true, nil
			}
		}
		return h, false, nil
	}
	candidates := []string{"refs/tags/" + ref, "refs/heads/" + ref}
	if strings.HasPrefix(ref, "refs/") {
		candidates = []string{ref}
	}
	for _, name := range candidates {
		if h, ok := s.adv.References[name]; ok {
			return h, true, nil
		}
	}
	return plumbing.ZeroHash, false, fmt.Errorf("%w: no tag or branch %q in %s", ErrRefNotFound, ref, s.url)
}

// isFullHash reports whether s is a full lower- or upper-case SHA-1 hex.
func isFullHash(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}
