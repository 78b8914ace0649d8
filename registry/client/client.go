package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/gitsource"
)

// Errors of this package, wrapped with details; test with errors.Is.
var (
	ErrURL         = errors.New("client: not a registry URL")
	ErrKeyMismatch = errors.New("client: the registry's key is not the pinned key")
	ErrUnreachable = errors.New("client: registry unreachable")
	ErrNotFound    = errors.New("client: not found on the registry")
	ErrAnswer      = errors.New("client: the registry's answer is malformed")
	ErrVerify      = errors.New("client: the registry's entry is refused")
)

// Limits of one call.
const (
	DefaultTimeout = 30 * time.Second // one API call, body included
	maxJSON        = 16 << 20         // an API answer
	MaxIcon        = 512 << 10        // an icon
)

// apiPrefix is where a registry serves its JSON API.
const apiPrefix = "/api/v1"

// Client talks to one registry. It is safe for concurrent use.
type Client struct {
	base    string // the registry's URL, without a trailing slash
	key     string // the pinned key's fingerprint
	policy  gitsource.Policy
	http    *http.Client
	Timeout time.Duration // of one API call; zero: DefaultTimeout
}

// New returns a client of the registry at rawURL whose key must be pinnedKey ("ed25519:…").
// Requests go only where policy allows (AllowPrivate for a registry on a private network).
func New(rawURL, pinnedKey string, policy gitsource.Policy) (*Client, error) {
	base, err := NormalizeURL(rawURL)
	if err != nil {
		return nil, err
	}
	if _, err := entry.ParseFingerprint(pinnedKey); err != nil {
		return nil, fmt.Errorf("client: pinned key of %s: %w", base, err)
	}
	return &Client{base: base, key: pinnedKey, policy: policy, http: gitsource.HTTPClient(policy)}, nil
}

// NormalizeURL checks that rawURL can name a registry (http or https, a host, no user, query or
// fragment) and returns it without a trailing slash.
func NormalizeURL(rawURL string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	switch {
	case err != nil:
		return "", fmt.Errorf("%w: %q: %w", ErrURL, rawURL, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("%w: %q is not an http:// or https:// URL", ErrURL, rawURL)
	case u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return "", fmt.Errorf("%w: %q: want scheme://host[:port][/path], without user, query or fragment", ErrURL, rawURL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

// URL is the registry's URL, as normalized.
func (c *Client) URL() string { return c.base }

// Key is the registry's pinned key.
func (c *Client) Key() string { return c.key }

// ArchiveURL is where the registry serves the archive whose sha256 is sha.
func (c *Client) ArchiveURL(sha string) string { return c.base + "/archives/" + sha + ".tar" }

// get sends a GET of path (with query) and decodes the JSON answer into out.
func (c *Client) get(ctx context.Context, path string, query url.Values, out any) error {
	body, _, err := c.fetch(ctx, path, query, maxJSON)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%w: %s%s: %w", ErrAnswer, c.base, path, err)
	}
	return nil
}

// fetch sends a GET of path (with query) and returns the body of a 200 answer, at most limit
// bytes, and its content type.
func (c *Client) fetch(ctx context.Context, path string, query url.Values, limit int64) ([]byte, string, error) {
	if err := gitsource.CheckURL(ctx, c.base, c.policy); err != nil {
		return nil, "", fmt.Errorf("%w: %s: %w", ErrUnreachable, c.base, err)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrURL, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s: %w", ErrUnreachable, c.base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s: %w", ErrUnreachable, c.base, err)
	}
	if int64(len(body)) > limit {
		return nil, "", fmt.Errorf("%w: %s%s answered more than %d bytes", ErrAnswer, c.base, path, limit)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, "", fmt.Errorf("%w: %s%s: %s", ErrNotFound, c.base, path, reason(body))
	case resp.StatusCode != http.StatusOK:
		return nil, "", fmt.Errorf("%w: %s%s answered %s: %s", ErrUnreachable, c.base, path, resp.Status, reason(body))
	}
	return body, resp.Header.Get("Content-Type"), nil
}

// reason is the message of a registry's error answer, cut short and stripped of control
// characters: it is a stranger's text.
func reason(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == "" {
		return "no reason given"
	}
	return Printable(e.Error, 200)
}

// Printable returns s without control characters, cut to at most n runes.
func Printable(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "…"
	}
	return s
}
