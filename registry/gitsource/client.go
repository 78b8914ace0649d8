package gitsource

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// maxRedirects bounds the redirects followed by one request.
const maxRedirects = 5

// newHTTPClient returns an HTTP client for one call under policy: no proxy
// from the environment, every connection's address re-checked when it is
// made, every redirect checked like the first URL.
func newHTTPClient(policy Policy) *http.Client {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	if !policy.AllowPrivate {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			return checkDialAddress(address, policy)
		}
	}
	transport := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           4,
		IdleConnTimeout:        30 * time.Second,
		TLSHandshakeTimeout:    15 * time.Second,
		ResponseHeaderTimeout:  60 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport: limitedTransport{next: transport, limit: policy.MaxFetchBytes + advertLimit},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("%w: more than %d redirects", ErrUnreachable, maxRedirects)
			}
			return checkRedirect(req.Context(), req, policy)
		},
	}
}

// checkRedirect applies the URL policy to a redirect's target.
func checkRedirect(ctx context.Context, req *http.Request, policy Policy) error {
	u := *req.URL
	u.RawQuery, u.Fragment = "", ""
	if err := CheckURL(ctx, u.String(), policy); err != nil {
		return fmt.Errorf("redirect to %s: %w", req.URL.Redacted(), err)
	}
	return nil
}

// checkDialAddress refuses a connection to a non-public address. It runs
// after name resolution, on the address actually dialled.
func checkDialAddress(address string, policy Policy) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %q: %w", ErrAddress, address, err)
	}
	if why := policy.allows(ap); why != "" {
		return fmt.Errorf("%w: connection to %s (%s)", ErrAddress, ap.Addr(), why)
	}
	return nil
}

// advertLimit is what a response may hold beyond a pack's limit: the ref
// advertisement and protocol framing.
const advertLimit = 8 << 20

// limitedTransport bounds the body of every response, so that an endless
// ref advertisement fails instead of filling memory.
type limitedTransport struct {
	next  http.RoundTripper
	limit int64
}

func (t limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{ReadCloser: resp.Body, left: t.limit}
	return resp, nil
}

// limitedBody fails with ErrTooLarge once more than left bytes were read.
type limitedBody struct {
	io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, fmt.Errorf("%w: a response exceeds the download limit", ErrTooLarge)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}
