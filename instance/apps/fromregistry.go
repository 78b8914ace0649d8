package apps

import (
	"context"
	"errors"
	"fmt"

	"github.com/hearth-cloud/hearth/registry/client"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// Trust gives the registries an instance trusts, in priority order.
type Trust interface {
	Registries(ctx context.Context, instanceID string) ([]Registry, error)
}

// StoreRef names an app to install from a registry the instance trusts.
type StoreRef struct {
	Registry string           `json:"registry"`          // the registry's URL
	Origin   string           `json:"origin,omitempty"`  // the app's origin key; "": the registry's own
	Slug     string           `json:"slug"`              // the app's slug at its origin
	Channel  manifest.Channel `json:"channel,omitempty"` // "": stable
	Version  string           `json:"version,omitempty"` // "": the newest non-yanked on Channel
}

// PrepareFromRegistry asks a trusted registry for an app's signed entries and returns the plan
// of installing the newest non-yanked version on the channel (or the version asked), from its
// archive, checked against the signed hash and tree.
func (s *Service) PrepareFromRegistry(ctx context.Context, instanceID string, ref StoreRef) (*Plan, error) {
	if ref.Channel == "" {
		ref.Channel = manifest.ChannelStable
	}
	switch ref.Channel {
	case manifest.ChannelStable, manifest.ChannelBeta, manifest.ChannelDev:
	default:
		return nil, fmt.Errorf("%w: %q is not a channel (stable, beta or dev)", ErrSource, ref.Channel)
	}
	if !manifest.ValidSlug(ref.Slug) {
		return nil, fmt.Errorf("%w: %q is not an app slug", ErrSource, ref.Slug)
	}
	reg, err := s.trustedURL(ctx, instanceID, ref.Registry)
	if err != nil {
		return nil, err
	}
	c, err := s.registryClient(reg)
	if err != nil {
		return nil, err
	}
	a, err := c.App(ctx, ref.Slug, ref.Origin)
	if err != nil {
		return nil, fmt.Errorf("%w: %s from %s: %w", ErrSource, ref.Slug, reg.URL, err)
	}
	v := a.Latest(ref.Channel)
	if ref.Version != "" {
		v = a.Version(ref.Channel, ref.Version)
		if v != nil && v.Yanked != nil {
			return nil, fmt.Errorf("%w: %s %s is yanked: %s", ErrSource, ref.Slug, v.Version, v.Yanked.Reason)
		}
	}
	if v == nil {
		return nil, fmt.Errorf("%w: %s has no version %s on the %s channel of %s", ErrSource, ref.Slug, ref.Version, ref.Channel, reg.URL)
	}
	return s.prepare(ctx, instanceID, sourceOf(c, a.Info.Source, v))
}

// Registries returns the registries the instance trusts, in priority order.
func (s *Service) Registries(ctx context.Context, instanceID string) ([]Registry, error) {
	if s.Trust == nil {
		return nil, nil
	}
	return s.Trust.Registries(ctx, instanceID)
}

// trustedURL returns the trusted registry whose URL is rawURL.
func (s *Service) trustedURL(ctx context.Context, instanceID, rawURL string) (Registry, error) {
	u, err := client.NormalizeURL(rawURL)
	if err != nil {
		return Registry{}, fmt.Errorf("%w: %w", ErrUntrusted, err)
	}
	list, err := s.Registries(ctx, instanceID)
	if err != nil {
		return Registry{}, err
	}
	for _, r := range list {
		if r.URL == u {
			return r, nil
		}
	}
	return Registry{}, fmt.Errorf("%w: %s is not among the registries this instance trusts", ErrUntrusted, u)
}

// registryClient returns the client of reg, made once.
func (s *Service) registryClient(reg Registry) (*client.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.clients[reg.String()]; c != nil {
		return c, nil
	}
	c, err := client.New(reg.URL, reg.Key, s.RegistryPolicy)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUntrusted, err)
	}
	if s.clients == nil || len(s.clients) >= maxPlans {
		s.clients = map[string]*client.Client{}
	}
	s.clients[reg.String()] = c
	return c, nil
}

// sameRegistry returns the client of the registry an app was installed from, if the instance
// still trusts it with the same key.
func (s *Service) sameRegistry(ctx context.Context, instanceID string, in *Installed) (*client.Client, error) {
	rs := in.Source.Registry
	list, err := s.Registries(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	for _, r := range list {
		switch {
		case r.URL == rs.URL && r.Key == rs.Key:
			return s.registryClient(r)
		case r.URL == rs.URL:
			return nil, fmt.Errorf("%w: %s was installed from %s with the key %s, which this instance now pins to %s: reinstall it to trust the new key",
				ErrUntrusted, in.Slug, rs.URL, rs.Key, r.Key)
		}
	}
	return nil, fmt.Errorf("%w: %s was installed from %s, which this instance no longer trusts, and updates come from that registry only",
		ErrUntrusted, in.Slug, rs.URL)
}

// registryUpdate returns the source of the newest non-yanked version of a registry app on its
// channel, from the registry it came from, or nil when the installed one is the newest.
func (s *Service) registryUpdate(ctx context.Context, instanceID string, in *Installed) (*Source, error) {
	rs := in.Source.Registry
	c, err := s.sameRegistry(ctx, instanceID, in)
	if err != nil {
		return nil, err
	}
	v, err := c.Latest(ctx, rs.Slug, rs.Origin, rs.Channel)
	if errors.Is(err, client.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s from %s: %w", ErrSource, in.Slug, rs.URL, err)
	}
	if !newer(v.Version, rs.Version) {
		return nil, nil
	}
	src := sourceOf(c, in.Source.URL, v)
	return &src, nil
}

// newer reports whether version a is above b; a version that does not parse is not.
func newer(a, b string) bool {
	va, err1 := manifest.ParseVersion(a)
	vb, err2 := manifest.ParseVersion(b)
	return err1 == nil && (err2 != nil || vb.Less(va))
}
