package apps

import (
	"context"
	"time"

	"github.com/hearth-cloud/hearth/registry/entry"
)

// How long what a registry said of an installed app is believed before asking again.
const (
	statusTTL        = 2 * time.Minute
	statusProblemTTL = 30 * time.Second
	statusTimeout    = 5 * time.Second
)

// RegistryStatus is what the registry an app came from says of the installed version, from its
// signed entries.
type RegistryStatus struct {
	Registry   string // the registry's URL
	OriginName string // the name of the app's origin registry
	// Update is the newest non-yanked version on the app's channel, when newer than the
	// installed one.
	Update     string
	Deprecated *entry.Deprecation // the app is deprecated
	Yanked     *entry.Yank        // the installed version is withdrawn
	Advisories []*entry.Advisory  // security advisories affecting the installed version
	// Problem says why the registry could not tell (unreachable, no longer trusted); the app
	// keeps working meanwhile.
	Problem string
}

// RegistryStatus asks the registry an app came from about the installed version: a newer
// version, deprecation, yank, advisories. It is nil for an app not from a registry. Answers
// are kept a little while, for every instance of the runtime; fresh asks again regardless.
func (s *Service) RegistryStatus(ctx context.Context, instanceID string, in *Installed, fresh bool) *RegistryStatus {
	rs := in.Source.Registry
	if rs == nil {
		return nil
	}
	c, err := s.sameRegistry(ctx, instanceID, in)
	if err != nil {
		return &RegistryStatus{Registry: rs.URL, OriginName: rs.OriginName, Problem: err.Error()}
	}
	key := rs.URL + "|" + rs.Key + "|" + rs.Origin + "|" + rs.Slug + "|" + string(rs.Channel) + "|" + rs.Version
	if st, ok := s.statuses.Get(key, s.now()); ok && !fresh {
		return st
	}
	ctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()
	st := &RegistryStatus{Registry: rs.URL, OriginName: rs.OriginName}
	a, err := c.App(ctx, rs.Slug, rs.Origin)
	if err != nil {
		st.Problem = err.Error()
		s.statuses.Put(key, st, s.now().Add(statusProblemTTL))
		return st
	}
	st.OriginName, st.Deprecated = a.Origin.Name, a.Info.Deprecated
	if v := a.Latest(rs.Channel); v != nil && newer(v.Version, rs.Version) {
		st.Update = v.Version
	}
	if v := a.Version(rs.Channel, rs.Version); v != nil {
		st.Yanked = v.Yanked
	}
	st.Advisories = a.Affecting(rs.Version)
	s.statuses.Put(key, st, s.now().Add(statusTTL))
	return st
}
