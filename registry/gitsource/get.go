package gitsource

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Get downloads the document at rawURL under policy, as Fetch reaches a Git server: the URL
// and every redirect checked, every connection's address re-checked, at most
// policy.MaxFetchBytes read. It is for the other things strangers name, such as a registry's
// app archive. To download many documents, use one Getter: it keeps its connections.
func Get(ctx context.Context, rawURL string, policy Policy) ([]byte, error) {
	g := NewGetter(policy)
	defer g.Close()
	return g.Get(ctx, rawURL, 0)
}

// Getter downloads documents under one policy, reusing its connections between calls.
// It is safe for concurrent use.
type Getter struct {
	policy Policy
	client *http.Client
}

// NewGetter returns a Getter for policy; Close it when done.
func NewGetter(policy Policy) *Getter {
	policy = policy.withDefaults()
	return &Getter{policy: policy, client: newHTTPClient(policy)}
}

// Close drops the Getter's idle connections.
func (g *Getter) Close() { g.client.CloseIdleConnections() }

// withoutQuery is rawURL without its query and fragment, which CheckURL refuses in a Git URL
// but which say nothing about where a document is fetched from.
func withoutQuery(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL // CheckURL says what is wrong with it
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = "", false, "", ""
	return u.String()
}

// Get downloads rawURL as the package-level Get does (a query is allowed); maxBytes, when positive and below the
// policy's MaxFetchBytes, bounds this document instead.
func (g *Getter) Get(ctx context.Context, rawURL string, maxBytes int64) ([]byte, error) {
	limit := g.policy.MaxFetchBytes
	if maxBytes > 0 && maxBytes < limit {
		limit = maxBytes
	}
	if err := CheckURL(ctx, withoutQuery(rawURL), g.policy); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, g.policy.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrURL, err)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %s", ErrTimeout, rawURL)
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrUnreachable, rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s answered %s", ErrUnreachable, rawURL, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnreachable, rawURL, err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrTooLarge, rawURL, limit)
	}
	return body, nil
}
