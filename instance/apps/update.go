package apps

import (
	"context"
	"fmt"

	"github.com/hearth-cloud/hearth/instance/auth"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// UpdateResult tells what an update did.
type UpdateResult struct {
	Plan    *Plan      `json:"plan,omitempty"` // nil when Current
	Applied bool       `json:"applied"`        // false: the update asks for more and waits for the owner
	App     *Installed `json:"app"`
	// Current is set when there is nothing newer: nothing changed.
	Current bool `json:"current,omitempty"`
}

// Update fetches the app's source at ref (its current ref when empty) from where it was
// installed. An update that asks for no new permission is applied at once; one that asks for
// more is kept as the app's pending update until the owner accepts its plan, and the installed
// version keeps running meanwhile.
func (s *Service) Update(ctx context.Context, instanceID, slug, ref string) (*UpdateResult, error) {
	db, err := s.Records.DB(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	in, err := getRecord(ctx, db, slug)
	if err != nil {
		return nil, err
	}
	src := in.Source
	switch {
	case in.Source.Registry != nil && ref != "":
		return nil, fmt.Errorf("%w: %s follows the %s channel of %s: it updates to that channel's newest version only",
			ErrSource, slug, in.Source.Registry.Channel, in.Source.Registry.URL)
	case in.Source.Registry != nil:
		next, err := s.registryUpdate(ctx, instanceID, in)
		if err != nil {
			return nil, err
		}
		if next == nil {
			return &UpdateResult{App: in, Current: true}, nil
		}
		if in.Pending != nil && in.Pending.Source.Registry != nil && in.Pending.Source.Registry.Version == next.Registry.Version {
			return &UpdateResult{Plan: in.Pending, App: in}, nil // already waiting for the owner
		}
		src = *next
	case in.Source.Archive != "":
		return nil, fmt.Errorf("%w: %s was installed from a registry's archive: its updates come through that registry", ErrSource, slug)
	case ref != "":
		src.Ref = ref
	}
	p, err := s.fetchPlan(ctx, src)
	if err != nil {
		return nil, err
	}
	if p.Tree == in.Tree && in.Pending == nil {
		return &UpdateResult{App: in, Current: true}, nil
	}
	if p.Slug != slug {
		return nil, fmt.Errorf("%w: the source now holds app %q, not %q", ErrManifest, p.Slug, slug)
	}
	old, err := in.App()
	if err != nil {
		return nil, err
	}
	next, err := manifest.Parse(p.Manifest)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrManifest, err)
	}
	p.Update, p.FromVersion = true, old.Version
	p.NewPermissions = approvedDiff(in.Scopes, next)
	if !p.NeedsApproval() {
		s.apply(in, p)
		if err := putRecord(ctx, db, in); err != nil {
			return nil, err
		}
		return &UpdateResult{Plan: p, Applied: true, App: in}, nil
	}
	in.Pending = p
	if err := putRecord(ctx, db, in); err != nil {
		return nil, err
	}
	s.keep(instanceID, p)
	return &UpdateResult{Plan: p, App: in}, nil
}

// approvedDiff lists the permissions of next beyond the scopes the owner approved. A stored
// scope that does not parse approves nothing, so the owner is asked again.
func approvedDiff(approved []string, next *manifest.Manifest) []manifest.Permission {
	granted, _ := auth.ParseScopes(approved)
	var out []manifest.Permission
	for _, p := range next.PermissionList() {
		for _, v := range p.Granted() {
			if !granted.Allows(p.Doctype, v) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}
