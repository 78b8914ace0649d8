package apps

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/hearth-cloud/hearth/internal/expiring"
	"github.com/hearth-cloud/hearth/registry/client"
	"github.com/hearth-cloud/hearth/registry/gitsource"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// planTTL is how long a prepared plan waits for the owner; maxPlans bounds them in memory.
const (
	planTTL  = 30 * time.Minute
	maxPlans = 1024
)

// Service installs apps on instances.
type Service struct {
	Fetcher Fetcher
	Trees   gitsource.TreeStore
	Records Records
	Now     func() time.Time // nil: time.Now
	// Trust gives the registries each instance trusts (none when nil); RegistryPolicy bounds
	// what their clients may reach.
	Trust          Trust
	RegistryPolicy gitsource.Policy

	mu       sync.Mutex
	plans    map[string]pendingPlan    // guarded by mu: plan id → plan
	clients  map[string]*client.Client // guarded by mu: Registry.String() → its client
	statuses expiring.Map[*RegistryStatus]
	checks   expiring.Map[string] // registries whose well-known key was checked → their name
	// treeFetches coalesces the fetches of a tree missing on this node (TreeDir).
	treeFetches singleflight.Group
}

type pendingPlan struct {
	instance string
	plan     *Plan
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Prepare fetches src and checks it, and returns the plan of installing it on the instance. The
// tree is stored already (content-addressed, so a plan never accepted costs nothing more).
func (s *Service) Prepare(ctx context.Context, instanceID string, src Source) (*Plan, error) {
	if src.Registry != nil {
		return nil, fmt.Errorf("%w: install from a registry by naming the app (PrepareFromRegistry)", ErrSource)
	}
	return s.prepare(ctx, instanceID, src)
}

func (s *Service) prepare(ctx context.Context, instanceID string, src Source) (*Plan, error) {
	p, err := s.fetchPlan(ctx, src)
	if err != nil {
		return nil, err
	}
	db, err := s.Records.DB(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	if _, err := getRecord(ctx, db, p.Slug); err == nil {
		return nil, fmt.Errorf("%w: %s (update it instead)", ErrInstalled, p.Slug)
	} else if !errors.Is(err, ErrNotInstalled) {
		return nil, err
	}
	p.NewPermissions = p.Permissions
	s.keep(instanceID, p)
	return p, nil
}

// fetchPlan fetches src, validates its manifest and stores its tree.
func (s *Service) fetchPlan(ctx context.Context, src Source) (*Plan, error) {
	snap, err := s.Fetcher.Fetch(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("%w from %s: %w", ErrSource, src.URL, err)
	}
	raw, err := snap.ReadFile(manifest.FileName)
	if err != nil {
		return nil, fmt.Errorf("%w: the repository has no %s at its root", ErrManifest, manifest.FileName)
	}
	m, err := manifest.Load(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrManifest, err)
	}
	if rs := src.Registry; rs != nil && (m.Slug != rs.Slug || m.Version != rs.Version) {
		return nil, fmt.Errorf("%w: the archive holds %s %s, the registry signed %s %s", ErrManifest, m.Slug, m.Version, rs.Slug, rs.Version)
	}
	if _, _, err := s.Trees.Put(snap); err != nil {
		return nil, fmt.Errorf("apps: store the files of %s: %w", m.Slug, err)
	}
	id := rand.Text()
	return &Plan{
		ID: id, Slug: m.Slug, Name: m.Name, Version: m.Version, Source: src,
		Commit: snap.Commit, Tree: snap.Tree, Manifest: raw, Permissions: m.PermissionList(),
		ExpiresAt: s.now().Add(planTTL),
	}, nil
}

func (s *Service) keep(instanceID string, p *Plan) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.plans == nil {
		s.plans = map[string]pendingPlan{}
	}
	now := s.now()
	for id, pp := range s.plans {
		if now.After(pp.plan.ExpiresAt) {
			delete(s.plans, id)
		}
	}
	if len(s.plans) >= maxPlans {
		for id := range s.plans { // full of live plans: drop one
			delete(s.plans, id)
			break
		}
	}
	s.plans[p.ID] = pendingPlan{instance: instanceID, plan: p}
}

// take removes and returns a live plan of the instance.
func (s *Service) take(instanceID, planID string) (*Plan, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pp, ok := s.plans[planID]
	if !ok || pp.instance != instanceID || s.now().After(pp.plan.ExpiresAt) {
		return nil, ErrNoPlan
	}
	delete(s.plans, planID)
	return pp.plan, nil
}

// Plan returns a live plan of the instance, to show it, without taking it. A pending update
// is also found on its app's record, so it outlives the plans kept in memory (and a restart).
func (s *Service) Plan(ctx context.Context, instanceID, planID string) (*Plan, error) {
	s.mu.Lock()
	pp, ok := s.plans[planID]
	s.mu.Unlock()
	if ok && pp.instance == instanceID && !s.now().After(pp.plan.ExpiresAt) {
		return pp.plan, nil
	}
	return s.pendingUpdate(ctx, instanceID, planID)
}

// pendingUpdate finds the app record whose pending update is planID.
func (s *Service) pendingUpdate(ctx context.Context, instanceID, planID string) (*Plan, error) {
	list, err := s.List(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	for _, in := range list {
		if in.Pending != nil && in.Pending.ID == planID {
			return in.Pending, nil
		}
	}
	return nil, ErrNoPlan
}

// Accept applies a plan the owner accepted: it installs the app, or updates it.
func (s *Service) Accept(ctx context.Context, instanceID, planID string) (*Installed, error) {
	p, err := s.take(instanceID, planID)
	if errors.Is(err, ErrNoPlan) {
		p, err = s.pendingUpdate(ctx, instanceID, planID)
	}
	if err != nil {
		return nil, err
	}
	db, err := s.Records.DB(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	in, err := getRecord(ctx, db, p.Slug)
	switch {
	case errors.Is(err, ErrNotInstalled) && !p.Update:
		in = &Installed{Slug: p.Slug, InstalledAt: s.now().UTC()}
	case err != nil:
		return nil, err
	case !p.Update:
		return nil, fmt.Errorf("%w: %s", ErrInstalled, p.Slug)
	}
	s.apply(in, p)
	if err := putRecord(ctx, db, in); err != nil {
		return nil, err
	}
	return in, nil
}

// apply makes the record say that plan p is installed and approved.
func (s *Service) apply(in *Installed, p *Plan) {
	in.Source, in.Commit, in.Tree, in.Manifest = p.Source, p.Commit, p.Tree, p.Manifest
	in.Scopes = in.Scopes[:0]
	for _, perm := range p.Permissions {
		in.Scopes = append(in.Scopes, perm.Scope())
	}
	in.UpdatedAt = s.now().UTC()
	in.Pending = nil
}
