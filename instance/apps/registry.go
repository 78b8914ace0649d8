package apps

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hearth-cloud/hearth/registry/client"
	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// Errors about registries.
var (
	// ErrUntrusted is returned when an app would come from a registry the instance does not trust.
	ErrUntrusted = errors.New("apps: registry not trusted")
	// ErrBadRegistry is returned for a malformed trusted registry: its URL or its key.
	ErrBadRegistry = errors.New("apps: bad registry")
)

// Registry is a registry an instance trusts: its URL and the key pinned for it.
type Registry struct {
	URL string `json:"url"`
	Key string `json:"key"` // "ed25519:…"
}

func (r Registry) String() string { return r.URL + "=" + r.Key }

// ParseRegistry reads "URL=ed25519:KEY".
func ParseRegistry(s string) (Registry, error) {
	u, key, ok := strings.Cut(strings.TrimSpace(s), "=")
	if !ok {
		return Registry{}, fmt.Errorf("%w: %q: want URL=ed25519:KEY", ErrBadRegistry, s)
	}
	return Registry{URL: u, Key: key}.Checked()
}

// ParseRegistries reads entries of ParseRegistry separated by commas, in priority order.
func ParseRegistries(s string) ([]Registry, error) {
	var out []Registry
	for part := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		r, err := ParseRegistry(part)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return CheckRegistries(out)
}

// Checked returns r with its URL normalized, once URL and key are checked.
func (r Registry) Checked() (Registry, error) {
	u, err := client.NormalizeURL(r.URL)
	if err != nil {
		return Registry{}, fmt.Errorf("%w: %w", ErrBadRegistry, err)
	}
	if _, err := entry.ParseFingerprint(strings.TrimSpace(r.Key)); err != nil {
		return Registry{}, fmt.Errorf("%w: key of %s: %w", ErrBadRegistry, u, err)
	}
	return Registry{URL: u, Key: strings.TrimSpace(r.Key)}, nil
}

// CheckRegistries checks a list of trusted registries: each one valid, each URL once.
func CheckRegistries(list []Registry) ([]Registry, error) {
	seen := map[string]bool{}
	out := make([]Registry, 0, len(list))
	for _, r := range list {
		r, err := r.Checked()
		if err != nil {
			return nil, err
		}
		if seen[r.URL] {
			return nil, fmt.Errorf("%w: %s is listed twice", ErrBadRegistry, r.URL)
		}
		seen[r.URL] = true
		out = append(out, r)
	}
	return out, nil
}

// RegistrySource says which registry an app was installed from and which signed version: the
// app's updates come from that registry only, checked with the same key.
type RegistrySource struct {
	URL string `json:"url"` // the registry, as the instance trusts it
	Key string `json:"key"` // the key pinned for it
	// Origin and Slug are the app's identity: the key of the registry that indexed it, and
	// its slug there. OriginName is that registry's name, for people.
	Origin     string           `json:"origin"`
	OriginName string           `json:"origin_name,omitempty"`
	Slug       string           `json:"slug"`
	Channel    manifest.Channel `json:"channel"`
	// Version, Commit and Tree are the signed version's: the archive must make Tree.
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Tree    string `json:"tree"`
}

// Trusts reports whether the registry is reg, with the same key.
func (rs *RegistrySource) Trusts(reg Registry) bool { return rs.URL == reg.URL && rs.Key == reg.Key }

// sourceOf is the source of version v of app a from the registry c.
func sourceOf(c *client.Client, gitURL string, v *client.Version) Source {
	return Source{URL: gitURL, Ref: v.Tag, Archive: c.ArchiveURL(v.ArchiveSHA256), SHA256: v.ArchiveSHA256,
		Registry: &RegistrySource{URL: c.URL(), Key: c.Key(), Origin: v.Origin.Key, OriginName: v.Origin.Name,
			Slug: v.Slug, Channel: v.Channel, Version: v.Version, Commit: v.Commit, Tree: v.Tree}}
}
