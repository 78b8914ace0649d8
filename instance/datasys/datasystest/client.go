package datasystest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// requestTimeout bounds every request but the streaming ones.
const requestTimeout = 30 * time.Second

// tdb is the database under test, seen from one subtest.
type tdb struct {
	t *testing.T
	Target
}

// response is a fully read HTTP response.
type response struct {
	t      *testing.T
	what   string // "METHOD path", for messages
	Status int
	Header http.Header
	Body   []byte
}

// raw is a request body sent as is.
type raw []byte

// req sends method path (relative to the database URL, starting with "/" or
// "?", or empty) with body: nil, raw, or a value encoded as JSON. header
// holds name/value pairs; Content-Type defaults to application/json.
func (d *tdb) req(method, path string, body any, header ...string) *response {
	d.t.Helper()
	resp := d.send(d.t.Context(), method, path, body, header...)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		d.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return &response{t: d.t, what: method + " " + path, Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// send sends a request and returns the response unread, for streams.
func (d *tdb) send(ctx context.Context, method, path string, body any, header ...string) *http.Response {
	d.t.Helper()
	resp, err := d.trySend(ctx, method, path, body, header...)
	if err != nil {
		d.t.Fatal(err)
	}
	return resp
}

// trySend is send returning an error, for use outside the test goroutine.
func (d *tdb) trySend(ctx context.Context, method, path string, body any, header ...string) (*http.Response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case raw:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("encode body: %w", err)
		}
		rd = bytes.NewReader(data)
	}
	r, err := http.NewRequestWithContext(ctx, method, d.URL+path, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	resp, err := d.client().Do(r)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return resp, nil
}

func (d *tdb) client() *http.Client {
	if d.Client != nil {
		return d.Client
	}
	return http.DefaultClient
}

// want fails the test unless the status is one of codes; it returns r.
func (r *response) want(codes ...int) *response {
	r.t.Helper()
	for _, c := range codes {
		if r.Status == c {
			return r
		}
	}
	r.t.Fatalf("%s: status %d, want %v; body: %s", r.what, r.Status, codes, clip(r.Body))
	return r
}

// obj decodes the body as a JSON object.
func (r *response) obj() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		r.t.Fatalf("%s: body is not a JSON object: %v: %s", r.what, err, clip(r.Body))
	}
	return m
}

// wantErr checks that the response is a CouchDB error with one of the
// statuses and, when errName is not empty, that error name.
func (r *response) wantErr(errName string, codes ...int) map[string]any {
	r.t.Helper()
	r.want(codes...)
	m := r.obj()
	name, ok := m["error"].(string)
	if !ok || name == "" {
		r.t.Errorf("%s: error body lacks \"error\": %s", r.what, clip(r.Body))
	}
	if _, ok := m["reason"].(string); !ok {
		r.t.Errorf("%s: error body lacks \"reason\": %s", r.what, clip(r.Body))
	}
	if errName != "" && name != errName {
		r.t.Errorf("%s: error %q, want %q", r.what, name, errName)
	}
	return m
}

func clip(b []byte) string {
	const max = 500
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// put creates or updates id with doc and returns the new rev.
func (d *tdb) put(id string, doc map[string]any) string {
	d.t.Helper()
	m := d.req(http.MethodPut, "/"+esc(id), doc).want(http.StatusCreated, http.StatusAccepted).obj()
	rev, _ := m["rev"].(string)
	if m["ok"] != true || rev == "" || m["id"] != id {
		d.t.Fatalf("PUT %s: unexpected body %v", id, m)
	}
	return rev
}

// get reads a document (path after the database URL) and expects 200.
func (d *tdb) get(path string) map[string]any {
	d.t.Helper()
	return d.req(http.MethodGet, path, nil).want(http.StatusOK).obj()
}

// esc escapes a document id for a URL path, keeping "_design/" and
// "_local/" prefixes as CouchDB clients do.
func esc(id string) string {
	for _, prefix := range []string{"_design/", "_local/"} {
		if rest, ok := strings.CutPrefix(id, prefix); ok {
			return prefix + pathEscape(rest)
		}
	}
	return pathEscape(id)
}
