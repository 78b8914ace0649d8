package proxy

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// Errors of host routing.
var (
	ErrNotAppHost = errors.New("proxy: not an app host")
	ErrAmbiguous  = errors.New("proxy: ambiguous app host")
)

// ValidSlug reports whether s has the shape of an app slug: 2 to 32 of a-z, 0-9 and '-',
// beginning with a letter.
func ValidSlug(s string) bool {
	if len(s) < 2 || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isLower(c) && !isDigit(c) && c != '-' {
			return false
		}
	}
	return true
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isDNSName reports whether name holds only a-z, 0-9, '.' and '-'.
func isDNSName(name string) bool {
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isLower(c) && !isDigit(c) && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// FlatScheme turns on the flat scheme {instance}-{slug}.{Domain}, for single-level wildcard
// certificates: with Domain "example.com", the app notes of the instance alice.example.com is
// served at alice-notes.example.com. The zero value leaves it off.
type FlatScheme struct {
	Enabled bool
	// Domain is the parent domain of the instances, without port.
	Domain string
}

// AppHost is an app's origin split into its parts.
type AppHost struct {
	Slug string
	// Instance is the instance's domain, with the port of the request when it had one.
	Instance string
}

// ParseAppHost finds the app and the instance a request's Host names. instances reports
// whether a domain (with port, when the host had one) is an instance.
//
// The nested scheme {slug}.{instance} is always tried. When flat is enabled, the first label
// is also read as {instance}-{slug} under flat.Domain; since both names may hold '-', every
// split is tried and asked of instances. A host that more than one reading fits (two splits,
// or a nested and a flat reading) is refused with ErrAmbiguous rather than guessed: the
// operator must rename one of the instances.
func ParseAppHost(host string, instances func(domain string) bool, flat FlatScheme) (AppHost, error) {
	name, port, err := splitHost(host)
	if err != nil {
		return AppHost{}, err
	}
	var found []AppHost
	if h, ok := nestedHost(name, port, instances); ok {
		found = append(found, h)
	}
	if flat.Enabled {
		found = append(found, flatHosts(name, port, instances, flat.Domain)...)
	}
	switch len(found) {
	case 0:
		return AppHost{}, fmt.Errorf("%w: %q", ErrNotAppHost, host)
	case 1:
		return found[0], nil
	default:
		return AppHost{}, fmt.Errorf("%w: %q reads as %d apps", ErrAmbiguous, host, len(found))
	}
}

// splitHost lower-cases host and splits off its port; it refuses what is not a DNS name.
func splitHost(host string) (name, port string, err error) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	name = host
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		var perr error
		name, port, perr = net.SplitHostPort(host)
		if perr != nil || port == "" {
			return "", "", fmt.Errorf("%w: %q", ErrNotAppHost, host)
		}
	}
	name = strings.TrimSuffix(name, ".")
	if name == "" || len(name) > 253 || !isDNSName(name) ||
		strings.Contains(name, "..") || strings.HasPrefix(name, ".") {
		return "", "", fmt.Errorf("%w: %q", ErrNotAppHost, host)
	}
	return name, port, nil
}

func withPort(name, port string) string {
	if port == "" {
		return name
	}
	return name + ":" + port
}

func nestedHost(name, port string, instances func(string) bool) (AppHost, bool) {
	slug, rest, ok := strings.Cut(name, ".")
	if !ok || !ValidSlug(slug) || rest == "" {
		return AppHost{}, false
	}
	inst := withPort(rest, port)
	if !instances(inst) {
		return AppHost{}, false
	}
	return AppHost{Slug: slug, Instance: inst}, true
}

func flatHosts(name, port string, instances func(string) bool, domain string) []AppHost {
	domain = strings.ToLower(strings.Trim(domain, "."))
	label, rest, ok := strings.Cut(name, ".")
	if !ok || domain == "" || rest != domain {
		return nil
	}
	var found []AppHost
	for i := 1; i < len(label)-1; i++ {
		if label[i] != '-' {
			continue
		}
		inst, slug := label[:i], label[i+1:]
		if !ValidSlug(slug) || strings.HasSuffix(inst, "-") {
			continue
		}
		domainOf := withPort(inst+"."+domain, port)
		if instances(domainOf) {
			found = append(found, AppHost{Slug: slug, Instance: domainOf})
		}
	}
	return found
}

// AppHostName is the host of app slug of the instance whose domain (with an optional port) is
// instance: {instance-label}-{slug}.{flat.Domain} when the flat scheme is on and the instance
// is directly under flat.Domain, else {slug}.{instance}. It is the inverse of ParseAppHost.
func AppHostName(instance, slug string, flat FlatScheme) string {
	if flat.Enabled {
		name, port, err := splitHost(instance)
		domain := strings.ToLower(strings.Trim(flat.Domain, "."))
		if label, ok := strings.CutSuffix(name, "."+domain); err == nil && ok && domain != "" && !strings.Contains(label, ".") {
			return withPort(label+"-"+slug+"."+domain, port)
		}
	}
	return slug + "." + instance
}
