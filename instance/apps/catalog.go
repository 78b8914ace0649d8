package apps

import (
	"context"
	"sync"
	"time"

	"github.com/hearth-cloud/hearth/registry/client"
	"github.com/hearth-cloud/hearth/registry/entry"
)

// Limits of the store's listing.
const (
	catalogTimeout = 10 * time.Second // one registry's answer
	catalogLimit   = 100              // apps asked of each registry
	checkTTL       = 10 * time.Minute // a registry's well-known key, once checked
)

// Catalog is the store: the apps of every registry an instance trusts.
type Catalog struct {
	Apps []*CatalogApp
	// Problems name the registries that could not be listed: the others still are.
	Problems []RegistryProblem
}

// CatalogApp is one app of the store, as the first registry (in priority order) listing it
// shows it. Its fields are the registry's unsigned listing: installing asks for signed entries.
type CatalogApp struct {
	*client.Listing
	Registry Registry
	// Installed names how the slug is installed on the instance: "" not at all, "here" this
	// app, "other" another app with the same slug (from another origin, or from Git).
	Installed string
}

// RegistryProblem says why a registry could not be listed.
type RegistryProblem struct {
	URL     string
	Problem string
}

// Catalog lists the apps of the registries the instance trusts matching q, asking them all at
// once. When two registries list the same app (origin and slug), the first in priority order
// wins. A registry that fails is named in Problems.
func (s *Service) Catalog(ctx context.Context, instanceID string, q client.Query) (*Catalog, error) {
	regs, err := s.Registries(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	installed, err := s.List(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	if q.Limit == 0 {
		q.Limit = catalogLimit
	}
	pages := make([]*client.Page, len(regs))
	errs := make([]error, len(regs))
	var wg sync.WaitGroup
	for i, reg := range regs {
		wg.Go(func() { pages[i], errs[i] = s.listRegistry(ctx, reg, q) })
	}
	wg.Wait()
	cat := &Catalog{}
	seen := map[entry.AppID]bool{}
	for i, reg := range regs {
		if errs[i] != nil {
			cat.Problems = append(cat.Problems, RegistryProblem{URL: reg.URL, Problem: errs[i].Error()})
			continue
		}
		for _, l := range pages[i].Apps {
			if seen[l.ID()] {
				continue
			}
			seen[l.ID()] = true
			cat.Apps = append(cat.Apps, &CatalogApp{Listing: l, Registry: reg, Installed: installedAs(installed, l)})
		}
	}
	return cat, nil
}

// listRegistry checks a registry's key (once in a while) and lists its apps.
func (s *Service) listRegistry(ctx context.Context, reg Registry, q client.Query) (*client.Page, error) {
	c, err := s.registryClient(reg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, catalogTimeout)
	defer cancel()
	if _, ok := s.checks.Get(reg.String(), s.now()); !ok {
		wk, err := c.Check(ctx)
		if err != nil {
			return nil, err
		}
		s.checks.Put(reg.String(), wk.Name, s.now().Add(checkTTL))
	}
	return c.List(ctx, q)
}

func installedAs(list []*Installed, l *client.Listing) string {
	for _, in := range list {
		if in.Slug != l.Slug {
			continue
		}
		if rs := in.Source.Registry; rs != nil && rs.Origin == l.Origin.Key && rs.Slug == l.Slug {
			return "here"
		}
		return "other"
	}
	return ""
}

// Icon returns the icon a trusted registry serves for an app, and its content type (an image
// type). It is not signed: serve it as an image only, under a policy that runs nothing.
func (s *Service) Icon(ctx context.Context, instanceID, registryURL, origin, slug string) ([]byte, string, error) {
	reg, err := s.trustedURL(ctx, instanceID, registryURL)
	if err != nil {
		return nil, "", err
	}
	c, err := s.registryClient(reg)
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(ctx, catalogTimeout)
	defer cancel()
	return c.Icon(ctx, slug, origin)
}
