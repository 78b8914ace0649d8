package devices

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Limits of a registration.
const (
	maxRedirectURIs   = 5
	maxRedirectURILen = 512
	maxClientName     = 64
)

// ClientMetadata is a registration request (RFC 7591 §2), of the fields Hearth reads.
type ClientMetadata struct {
	ClientName              string   `json:"client_name"`
	RedirectURIs            []string `json:"redirect_uris"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
}

// Client is a registered client: what its id says.
type Client struct {
	ID           string   `json:"client_id"`
	IssuedAt     int64    `json:"client_id_issued_at"`
	Name         string   `json:"client_name"`
	RedirectURIs []string `json:"redirect_uris"`
}

// clientClaims is what a client id carries, signed.
type clientClaims struct {
	Name string   `json:"n"`
	URIs []string `json:"r"`
	At   int64    `json:"t"`
}

var b64 = base64.RawURLEncoding

// Register checks md and returns the client it registers. Nothing is stored: the client id
// is the metadata signed with the instance's key.
func (s *Service) Register(realm Realm, md ClientMetadata) (Client, error) {
	if m := md.TokenEndpointAuthMethod; m != "" && m != "none" {
		return Client{}, oauthErr("invalid_client_metadata", "only public clients register here: token_endpoint_auth_method must be \"none\" (PKCE protects the code)")
	}
	for _, g := range md.GrantTypes {
		if g != "authorization_code" && g != "refresh_token" {
			return Client{}, oauthErr("invalid_client_metadata", "grant_types may be authorization_code and refresh_token only")
		}
	}
	for _, r := range md.ResponseTypes {
		if r != "code" {
			return Client{}, oauthErr("invalid_client_metadata", "response_types may be code only")
		}
	}
	name := cleanName(md.ClientName)
	if name == "" {
		return Client{}, oauthErr("invalid_client_metadata", "client_name is required: it is how the owner will know the device")
	}
	if len(md.RedirectURIs) == 0 || len(md.RedirectURIs) > maxRedirectURIs {
		return Client{}, oauthErr("invalid_redirect_uri", "give between 1 and 5 redirect_uris")
	}
	for _, u := range md.RedirectURIs {
		if err := checkRedirectURI(u); err != nil {
			return Client{}, err
		}
	}
	c := clientClaims{Name: name, URIs: slices.Clone(md.RedirectURIs), At: s.now().Unix()}
	payload, err := json.Marshal(c)
	if err != nil {
		return Client{}, err
	}
	p := b64.EncodeToString(payload)
	id := p + "." + b64.EncodeToString(mac(realm.key("client"), p)[:16])
	return Client{ID: id, IssuedAt: c.At, Name: c.Name, RedirectURIs: c.URIs}, nil
}

// Client returns the client of id, or an invalid_client error.
func (s *Service) Client(realm Realm, id string) (Client, error) {
	p, sig, ok := strings.Cut(id, ".")
	if !ok || len(id) > 8<<10 {
		return Client{}, invalidClient("unknown client_id: register the client at /oauth/register first")
	}
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(realm.key("client"), p)[:16]) {
		return Client{}, invalidClient("unknown client_id: register the client at /oauth/register first")
	}
	raw, err := b64.DecodeString(p)
	var c clientClaims
	if err != nil || json.Unmarshal(raw, &c) != nil {
		return Client{}, invalidClient("unknown client_id")
	}
	return Client{ID: id, IssuedAt: c.At, Name: c.Name, RedirectURIs: c.URIs}, nil
}

// redirectURI returns the registered redirect URI that asked matches: exactly, or for a
// loopback http URI with any port (RFC 8252 §7.3: native apps listen on an ephemeral port).
// An empty asked picks the only registered URI.
func (c Client) redirectURI(asked string) (string, bool) {
	if asked == "" {
		if len(c.RedirectURIs) == 1 {
			return c.RedirectURIs[0], true
		}
		return "", false
	}
	for _, r := range c.RedirectURIs {
		if r == asked || sameLoopback(r, asked) {
			return asked, true
		}
	}
	return "", false
}

func sameLoopback(registered, asked string) bool {
	r, err1 := url.Parse(registered)
	a, err2 := url.Parse(asked)
	if err1 != nil || err2 != nil || r.Scheme != "http" || a.Scheme != "http" || !loopback(r.Hostname()) {
		return false
	}
	return r.Hostname() == a.Hostname() && r.EscapedPath() == a.EscapedPath() && r.RawQuery == a.RawQuery
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var schemeRE = regexp.MustCompile(`^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$`)

// checkRedirectURI accepts https URIs, http ones on a loopback address (native apps, the CLI)
// and private-use schemes in reverse-DNS form ("io.hearth.notes:/callback", RFC 8252 §7.1).
// None may carry a fragment or credentials.
func checkRedirectURI(raw string) error {
	bad := func(why string) error {
		return oauthErr("invalid_redirect_uri", "redirect_uri "+strings.ToValidUTF8(clip(raw, 80), "?")+": "+why)
	}
	if len(raw) > maxRedirectURILen {
		return bad("too long")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return bad("not an absolute URI")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return bad("must not have a fragment")
	}
	if u.User != nil {
		return bad("must not carry credentials")
	}
	switch {
	case u.Scheme == "https":
		if u.Host == "" {
			return bad("has no host")
		}
	case u.Scheme == "http":
		if !loopback(u.Hostname()) {
			return bad("http is allowed on a loopback address only (127.0.0.1, [::1], localhost); use https")
		}
	case schemeRE.MatchString(u.Scheme):
	default:
		return bad("use https, http on a loopback address, or a private-use scheme in reverse-DNS form such as com.example.app:/callback")
	}
	return nil
}

// cleanName keeps a client name the owner can read: printable, one line, not too long.
func cleanName(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxClientName {
		s = string(r[:maxClientName])
	}
	return s
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
