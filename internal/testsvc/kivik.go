package testsvc

import (
	"net/http"
	"testing"

	"github.com/go-kivik/kivik/v4"
	"github.com/go-kivik/kivik/v4/couchdb"
)

// KivikCouchDB returns a kivik client on the CouchDB driver for url, with
// request and response compression off (pouchdb-server breaks on compressed
// attachments and continuous feeds). Pass BearerToken(tok) among extra to
// authenticate every request. The client is closed when the test ends.
func KivikCouchDB(t testing.TB, url string, extra ...kivik.Option) *kivik.Client {
	t.Helper()
	opts := append([]kivik.Option{
		couchdb.OptionNoRequestCompression(),
		couchdb.OptionHTTPClient(HTTPClient("")),
	}, extra...)
	client, err := kivik.New("couch", url, opts...)
	if err != nil {
		t.Fatalf("testsvc: kivik client for %s: %v", url, err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return client
}

// BearerToken is a KivikCouchDB option sending "Authorization: Bearer
// <token>" on every request (it replaces the client's http.Client).
func BearerToken(token string) kivik.Option {
	return couchdb.OptionHTTPClient(HTTPClient(token))
}

// HTTPClient returns an http.Client without transparent compression that
// adds "Authorization: Bearer <token>" to every request when token is not
// empty.
func HTTPClient(token string) *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.DisableCompression = true
	var rt http.RoundTripper = base
	if token != "" {
		rt = &BearerTransport{Token: token, Base: base}
	}
	return &http.Client{Transport: rt}
}

// BearerTransport adds "Authorization: Bearer <Token>" to every request.
type BearerTransport struct {
	Token string
	Base  http.RoundTripper // nil means http.DefaultTransport
}

// RoundTrip implements http.RoundTripper.
func (b *BearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := b.Base
	if base == nil {
		base = http.DefaultTransport
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+b.Token)
	return base.RoundTrip(req)
}
