package manifest

import (
	"cmp"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Version is a semantic version without build metadata: X.Y.Z or X.Y.Z-PRERELEASE.
type Version struct {
	Major, Minor, Patch uint64
	Pre                 string // pre-release identifiers after '-', such as "beta.2"; empty for a release
}

// Channel is the release line a version belongs to.
type Channel string

// The channels. Stable is X.Y.Z, beta is X.Y.Z-beta.N, dev is any other pre-release (and, in
// the registry, the default branch).
const (
	ChannelStable Channel = "stable"
	ChannelBeta   Channel = "beta"
	ChannelDev    Channel = "dev"
)

// MaxVersionLen bounds a version string.
const MaxVersionLen = 64

var (
	versionRe = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$`)
	betaRe    = regexp.MustCompile(`^beta\.(0|[1-9][0-9]*)$`)
)

// ParseVersion reads "1.2.3" or "1.2.3-beta.1". A "v" prefix and build metadata are refused.
func ParseVersion(s string) (Version, error) {
	v, problem := parseVersion(s)
	if problem != "" {
		return Version{}, fmt.Errorf("%w: %s", ErrBadVersion, problem)
	}
	return v, nil
}

// parseVersion returns the version, or a problem worded for a user.
func parseVersion(s string) (Version, string) {
	bad := fmt.Sprintf("%s is not a semantic version (want X.Y.Z or X.Y.Z-beta.N)", quote(s))
	if len(s) > MaxVersionLen {
		return Version{}, fmt.Sprintf("longer than %d characters", MaxVersionLen)
	}
	m := versionRe.FindStringSubmatch(s)
	if m == nil {
		return Version{}, bad
	}
	var v Version
	for i, dst := range []*uint64{&v.Major, &v.Minor, &v.Patch} {
		n, err := strconv.ParseUint(m[i+1], 10, 64)
		if err != nil {
			return Version{}, bad + ": number too large"
		}
		*dst = n
	}
	v.Pre = m[4]
	for _, id := range strings.Split(v.Pre, ".") {
		if len(id) > 1 && id[0] == '0' && isNumeric(id) {
			return Version{}, bad + ": numeric identifiers have no leading zero"
		}
	}
	return v, ""
}

// String renders v as ParseVersion reads it.
func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Pre != "" {
		s += "-" + v.Pre
	}
	return s
}

// Channel says whether v is stable, beta or dev.
func (v Version) Channel() Channel {
	switch {
	case v.Pre == "":
		return ChannelStable
	case betaRe.MatchString(v.Pre):
		return ChannelBeta
	}
	return ChannelDev
}

// Less reports whether v comes before o in semantic-version precedence.
func (v Version) Less(o Version) bool { return v.Compare(o) < 0 }

// Compare returns -1, 0 or +1 as v comes before, equals or comes after o.
func (v Version) Compare(o Version) int {
	for _, d := range [][2]uint64{{v.Major, o.Major}, {v.Minor, o.Minor}, {v.Patch, o.Patch}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	return comparePre(v.Pre, o.Pre)
}

// comparePre orders pre-releases: a release comes after any pre-release; identifiers compare
// one by one, numbers numerically and before words; a shorter list comes first.
func comparePre(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if c := compareIdent(as[i], bs[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(as), len(bs))
}

func compareIdent(a, b string) int {
	an, bn := isNumeric(a), isNumeric(b)
	switch {
	case an && bn:
		if len(a) != len(b) { // no leading zeros: the longer number is larger
			return cmp.Compare(len(a), len(b))
		}
		return strings.Compare(a, b)
	case an:
		return -1
	case bn:
		return 1
	}
	return strings.Compare(a, b)
}

func isNumeric(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// SemVer returns the manifest's version, parsed.
func (m *Manifest) SemVer() (Version, error) { return ParseVersion(m.Version) }
