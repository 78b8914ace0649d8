package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// newHTTPClient returns the one client every workload uses: keep-alive, enough idle
// connections for the concurrent workers, no transparent compression.
func newHTTPClient() *http.Client {
	tr := &http.Transport{
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{Transport: tr}
}

// call sends one request and returns the status and the whole response body. host, when not
// empty, is sent as the Host header; token, when not empty, as a bearer token.
func call(ctx context.Context, c *http.Client, method, url, host, token string, body []byte) (int, []byte, error) {
	resp, err := send(ctx, c, method, url, host, token, body)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("hearthbench: read %s %s: %w", method, url, err)
	}
	return resp.StatusCode, b, nil
}

// send sends one request and returns the response, its body unread.
func send(ctx context.Context, c *http.Client, method, url, host, token string, body []byte) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return nil, fmt.Errorf("hearthbench: %s %s: %w", method, url, err)
	}
	if host != "" {
		req.Host = host
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("hearthbench: %s %s: %w", method, url, err)
	}
	return resp, nil
}

// target is one server under test, seen through the CouchDB API of its databases.
type target struct {
	name   string
	c      *http.Client
	base   string // http://127.0.0.1:port
	host   string // Host header naming the instance; empty for pouchdb-server
	token  string
	prefix string // path before a database name: "/data/io.hearth." or "/"
	create bool   // databases must be created with PUT before use
}

// db returns one database of the target, by a short name such as "bench".
func (t *target) db(ctx context.Context, name string) (*database, error) {
	d := &database{t: t, url: t.base + t.prefix + name}
	if !t.create {
		return d, nil
	}
	st, body, err := call(ctx, t.c, http.MethodPut, d.url, t.host, t.token, nil)
	if err != nil {
		return nil, err
	}
	if st != http.StatusCreated && st != http.StatusPreconditionFailed {
		return nil, fmt.Errorf("%w: create database %s: %d %s", errStatus, d.url, st, body)
	}
	return d, nil
}

// database is one CouchDB database of a target.
type database struct {
	t   *target
	url string
}

// do sends method to the database's path sub ("" or "/id" or "/_find") and reads the answer.
func (d *database) do(ctx context.Context, method, sub string, body []byte) (int, []byte, error) {
	return call(ctx, d.t.c, method, d.url+sub, d.t.host, d.t.token, body)
}

// expect is do that turns a status other than want into an error.
func (d *database) expect(ctx context.Context, want int, method, sub string, body []byte) ([]byte, error) {
	st, resp, err := d.do(ctx, method, sub, body)
	if err != nil {
		return nil, err
	}
	if st != want {
		if len(resp) > 300 {
			resp = resp[:300]
		}
		return nil, fmt.Errorf("%w: %s %s: %d %s", errStatus, method, sub, st, bytes.TrimSpace(resp))
	}
	return resp, nil
}
