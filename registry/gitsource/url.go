package gitsource

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// maxURLLength bounds the length of a Git URL.
const maxURLLength = 2048

// CheckURL reports whether rawURL may be fetched under policy: its scheme,
// credentials, host and every address its host resolves to. The addresses
// are checked again at connection time by Fetch and ListRefs.
func CheckURL(ctx context.Context, rawURL string, policy Policy) error {
	u, err := parseURL(rawURL)
	if err != nil {
		return err
	}
	if policy.HTTPSOnly && !strings.EqualFold(u.Scheme, "https") {
		return fmt.Errorf("%w: %q (only https:// is allowed here)", ErrScheme, u.Scheme+"://")
	}
	if err := checkHostAllowed(u.Hostname(), policy.AllowedHosts); err != nil {
		return err
	}
	if policy.AllowPrivate {
		return nil
	}
	return checkHostAddresses(ctx, u, policy)
}

// parseURL parses rawURL and checks what needs no network: scheme,
// credentials, host and port syntax.
func parseURL(rawURL string) (*url.URL, error) {
	if rawURL == "" || len(rawURL) > maxURLLength {
		return nil, fmt.Errorf("%w: empty or longer than %d bytes", ErrURL, maxURLLength)
	}
	if strings.ContainsAny(rawURL, "\x00\r\n\t ") {
		return nil, fmt.Errorf("%w: %q contains spaces or control characters", ErrURL, rawURL)
	}
	if !strings.Contains(rawURL, "://") {
		// scp-like "host:path" and plain paths.
		return nil, fmt.Errorf("%w: %q has no scheme; use https://host/path", ErrScheme, rawURL)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrURL, rawURL, err)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return nil, fmt.Errorf("%w: %q", ErrScheme, u.Scheme+"://")
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: remove the user and password from the URL", ErrCredentials)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%w: %q has no host", ErrURL, rawURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: %q has a query or fragment", ErrURL, rawURL)
	}
	if p := u.Port(); p != "" {
		if _, err := net.LookupPort("tcp", p); err != nil || strings.HasPrefix(p, "0") {
			return nil, fmt.Errorf("%w: port %q", ErrURL, p)
		}
	}
	return u, nil
}

// checkHostAllowed enforces the AllowedHosts list, if any.
func checkHostAllowed(host string, allowed []string) error {
	if len(allowed) == 0 {
		return nil
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, a := range allowed {
		a = strings.ToLower(a)
		if suffix, ok := strings.CutPrefix(a, "*."); ok {
			if strings.HasSuffix(host, "."+suffix) {
				return nil
			}
		} else if host == a {
			return nil
		}
	}
	return fmt.Errorf("%w: %s", ErrHost, host)
}

// checkHostAddresses resolves u's host and refuses it if any of its
// addresses is not allowed.
func checkHostAddresses(ctx context.Context, u *url.URL, policy Policy) error {
	host := u.Hostname()
	port := urlPort(u)
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("%w: resolve %s: %w", ErrUnreachable, host, err)
	}
	for _, a := range addrs {
		a = a.Unmap()
		if why := policy.allows(netip.AddrPortFrom(a, port)); why != "" {
			if a.String() == host {
				return fmt.Errorf("%w: %s is %s", ErrAddress, host, why)
			}
			return fmt.Errorf("%w: %s resolves to %s (%s)", ErrAddress, host, a, why)
		}
	}
	return nil
}

// urlPort returns u's port, or the scheme's default.
func urlPort(u *url.URL) uint16 {
	if p, err := strconv.ParseUint(u.Port(), 10, 16); err == nil {
		return uint16(p)
	}
	if strings.EqualFold(u.Scheme, "http") {
		return 80
	}
	return 443
}
