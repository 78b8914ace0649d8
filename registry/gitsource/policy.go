package gitsource

import (
	"net/netip"
	"time"
)

// Defaults applied to the zero fields of a Policy.
const (
	DefaultMaxBytes      = 64 << 20  // total size of the files of a tree
	DefaultMaxFiles      = 10_000    // files in a tree
	DefaultMaxFileBytes  = 16 << 20  // one file
	DefaultMaxDepth      = 32        // path components
	DefaultMaxFetchBytes = 256 << 20 // bytes downloaded, and objects decoded, by one fetch
	DefaultMaxObjects    = 200_000   // objects in the downloaded pack
	DefaultTimeout       = 2 * time.Minute
)

// Policy bounds what may be fetched. Its zero value is the safe default:
// public addresses only, any host, the Default* limits.
type Policy struct {
	// AllowPrivate permits loopback, private, link-local and other
	// non-public addresses (for tests and trusted local Git servers).
	AllowPrivate bool
	// HTTPSOnly refuses http:// URLs and redirects.
	HTTPSOnly bool
	// AllowedHosts, when not empty, lists the only hosts that may be
	// fetched from ("example.com", or "*.example.com" for its subdomains).
	// It does not exempt them from the address check.
	AllowedHosts []string
	// MaxBytes bounds the total size of the files of a tree.
	MaxBytes int64
	// MaxFiles bounds the number of files and directories of a tree.
	MaxFiles int
	// MaxFileBytes bounds the size of one file.
	MaxFileBytes int64
	// MaxDepth bounds the number of components of a path.
	MaxDepth int
	// MaxFetchBytes bounds the pack downloaded by one fetch, and
	// separately the total size its objects decode to (history included
	// when a shallow fetch is not possible). Memory used by a fetch stays
	// near twice this.
	MaxFetchBytes int64
	// MaxObjects bounds the objects of the downloaded pack.
	MaxObjects int
	// Timeout bounds one Fetch or ListRefs call, network included.
	Timeout time.Duration

	// trusted, set by tests only, exempts some address and port pairs from
	// the address check so that a loopback server can stand for a public one.
	trusted func(netip.AddrPort) bool
}

// allows reports whether ap may be connected to, or why not.
func (p Policy) allows(ap netip.AddrPort) string {
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if p.AllowPrivate || (p.trusted != nil && p.trusted(ap)) {
		return ""
	}
	return forbiddenAddr(ap.Addr())
}

// withDefaults returns p with its zero limits set to the defaults.
func (p Policy) withDefaults() Policy {
	if p.MaxBytes <= 0 {
		p.MaxBytes = DefaultMaxBytes
	}
	if p.MaxFiles <= 0 {
		p.MaxFiles = DefaultMaxFiles
	}
	if p.MaxFileBytes <= 0 {
		p.MaxFileBytes = DefaultMaxFileBytes
	}
	if p.MaxDepth <= 0 {
		p.MaxDepth = DefaultMaxDepth
	}
	if p.MaxFetchBytes <= 0 {
		p.MaxFetchBytes = DefaultMaxFetchBytes
	}
	if p.MaxObjects <= 0 {
		p.MaxObjects = DefaultMaxObjects
	}
	if p.Timeout <= 0 {
		p.Timeout = DefaultTimeout
	}
	return p
}
