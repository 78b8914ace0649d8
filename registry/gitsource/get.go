package gitsource

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// Get downloads the document at rawURL under policy, as Fetch reaches a Git server: the URL
// and every redirect checked, every connection's address re-checked, at most
// policy.MaxFetchBytes read. It is for the other things strangers name, such as a registry's
// app archive.
func Get(ctx context.Context, rawURL string, policy Policy) ([]byte, error) {
	policy = policy.withDefaults()
	if err := CheckURL(ctx, rawURL, policy); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, policy.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrURL, err)
	}
	resp, err := newHTTPClient(policy).Do(req)
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
	body, err := io.ReadAll(io.LimitReader(resp.Body, policy.MaxFetchBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnreachable, rawURL, err)
	}
	if int64(len(body)) > policy.MaxFetchBytes {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrTooLarge, rawURL, policy.MaxFetchBytes)
	}
	return body, nil
}
