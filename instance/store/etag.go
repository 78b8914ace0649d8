package store

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// strongETags makes a CouchDB-compatible server's answers carry the document revision in ETag, as
// CouchDB does. kivik's CouchDB driver reads revisions of deletes, attachment writes and HEAD
// requests from the ETag, but some servers (pouchdb-server, through Express) send a weak ETag
// hashing the body instead. A weak ETag is replaced by the "rev" or "_rev" of a small JSON body,
// or, for HEAD, of the same document fetched with GET; failing that it is removed.
type strongETags struct {
	base http.RoundTripper
}

const maxETagBody = 8 << 20

func (t strongETags) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodDelete {
		req = escapeIndexDDoc(req)
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil || !strings.HasPrefix(resp.Header.Get("ETag"), "W/") {
		return resp, err
	}
	resp.Header.Del("ETag")
	if resp.StatusCode >= 300 {
		return resp, nil
	}
	if req.Method == http.MethodHead {
		if rev := t.revByGet(req); rev != "" {
			resp.Header.Set("ETag", `"`+rev+`"`)
		}
		return resp, nil
	}
	if resp.ContentLength < 0 || resp.ContentLength > maxETagBody ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return resp, nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rev := revOf(body); rev != "" {
		resp.Header.Set("ETag", `"`+rev+`"`)
	}
	return resp, nil
}

func (t strongETags) revByGet(head *http.Request) string {
	get := head.Clone(head.Context())
	get.Method = http.MethodGet
	resp, err := t.base.RoundTrip(get)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ""
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxETagBody))
	if err != nil {
		return ""
	}
	return revOf(body)
}

func revOf(body []byte) string {
	var v struct {
		Rev  string `json:"rev"`
		URev string `json:"_rev"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	if v.URev != "" {
		return v.URev
	}
	return v.Rev
}

// escapeIndexDDoc turns DELETE …/_index/_design/x/json/y, as kivik sends it, into
// …/_index/_design%2Fx/json/y: CouchDB reads both, pouchdb-server only the second.
func escapeIndexDDoc(req *http.Request) *http.Request {
	p := req.URL.EscapedPath()
	i := strings.Index(p, "/_index/_design/")
	if i < 0 {
		return req
	}
	r := req.Clone(req.Context())
	cut := i + len("/_index/_design")
	raw := p[:cut] + "%2F" + p[cut+1:]
	r.URL.RawPath = raw
	r.URL.Path = p[:cut] + "/" + p[cut+1:]
	return r
}
