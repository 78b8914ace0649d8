package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls a runtime's admin API.
type Client struct {
	URL    string // e.g. http://127.0.0.1:6060
	Secret string
	HTTP   *http.Client // nil: a client with a 30 s timeout
}

// APIError is an error answer of the admin API.
type APIError struct {
	Status int
	Kind   string `json:"error"`
	Reason string `json:"reason"`
}

func (e *APIError) Error() string {
	if e.Reason != "" {
		return e.Reason
	}
	return fmt.Sprintf("admin API answered %d %s", e.Status, e.Kind)
}

// ErrUnreachable wraps failures to reach the admin API at all.
var ErrUnreachable = errors.New("admin: runtime unreachable")

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.URL, "/")+path, body)
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Secret)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%w at %s: %v (is `hearth serve` running? see --admin-url)", ErrUnreachable, c.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("admin: read answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		apiErr := &APIError{Status: resp.StatusCode}
		_ = json.Unmarshal(raw, apiErr)
		return apiErr
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("admin: decode answer: %w", err)
		}
	}
	return nil
}

func instancePath(domain string, rest ...string) string {
	return "/instances/" + url.PathEscape(domain) + strings.Join(rest, "")
}

// AddInstance creates an instance.
func (c *Client) AddInstance(ctx context.Context, domain string) (InstanceView, error) {
	var v InstanceView
	err := c.do(ctx, http.MethodPost, "/instances", map[string]string{"domain": domain}, &v)
	return v, err
}

// Onboarding issues a new one-time link to set the owner's passphrase of an instance; reset
// first forgets the current passphrase and two-factor.
func (c *Client) Onboarding(ctx context.Context, domain string, reset bool) (Onboarding, error) {
	var v Onboarding
	err := c.do(ctx, http.MethodPost, instancePath(domain, "/onboarding"), map[string]bool{"reset": reset}, &v)
	return v, err
}

// ListInstances lists every instance.
func (c *Client) ListInstances(ctx context.Context) ([]InstanceView, error) {
	var v []InstanceView
	err := c.do(ctx, http.MethodGet, "/instances", nil, &v)
	return v, err
}

// ShowInstance returns one instance.
func (c *Client) ShowInstance(ctx context.Context, domain string) (InstanceView, error) {
	var v InstanceView
	err := c.do(ctx, http.MethodGet, instancePath(domain), nil, &v)
	return v, err
}

// RemoveInstance deletes an instance and its data.
func (c *Client) RemoveInstance(ctx context.Context, domain string) error {
	return c.do(ctx, http.MethodDelete, instancePath(domain), nil, nil)
}

// SetBlocked blocks or unblocks an instance.
func (c *Client) SetBlocked(ctx context.Context, domain string, blocked bool) (InstanceView, error) {
	action := "/unblock"
	if blocked {
		action = "/block"
	}
	var v InstanceView
	err := c.do(ctx, http.MethodPost, instancePath(domain, action), nil, &v)
	return v, err
}

// Token issues a bearer token on an instance.
func (c *Client) Token(ctx context.Context, domain string, req TokenRequest) (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	err := c.do(ctx, http.MethodPost, instancePath(domain, "/tokens"), req, &out)
	return out.Token, err
}
