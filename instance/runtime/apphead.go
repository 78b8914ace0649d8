package runtime

import (
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// parsePlainRequest parses the head of a plain request (see plainFast) on a taken-over
// connection: raw is the head, each line ending in CRLF, the empty line included. It builds
// the request net/http's parser would, in a few allocations: the head is copied once and the
// header's names and values are slices of that copy. It reports false for anything it does not
// take as plain, or that net/http would judge otherwise than accepting it as it is: another
// method or protocol, a request target that is not a clean path, folded or malformed header
// lines, a body, Connection: close, an upgrade, Expect, Pragma, a missing or repeated Host.
// Such a request goes back to net/http, which answers it.
func parsePlainRequest(raw []byte, base *http.Request) (*http.Request, bool) {
	head := string(raw)
	line, rest, _ := strings.Cut(head, "\r\n")
	method, line, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(line, " ")
	if !ok1 || !ok2 || proto != "HTTP/1.1" || (method != http.MethodGet && method != http.MethodHead) {
		return nil, false
	}
	u, ok := requestTarget(target)
	if !ok {
		return nil, false
	}
	n := strings.Count(rest, "\r\n") - 1 // the header lines, the empty one left out
	if n < 1 {
		return nil, false // no Host
	}
	h := make(http.Header, n)
	vals := make([]string, n) // the values of headers seen once, in one allocation
	host, hosts := "", 0
	for {
		line, rest, _ = strings.Cut(rest, "\r\n")
		if line == "" {
			break
		}
		k, v, found := strings.Cut(line, ":")
		if !found || !httpguts.ValidHeaderFieldName(k) {
			return nil, false // folded lines (a leading space) end here too
		}
		v = strings.Trim(v, " \t")
		if !httpguts.ValidHeaderFieldValue(v) {
			return nil, false
		}
		k = textproto.CanonicalMIMEHeaderKey(k)
		switch k {
		case "Host":
			host, hosts = v, hosts+1
			continue
		case "Content-Length", "Transfer-Encoding", "Upgrade", "Expect", "Pragma", "Trailer":
			return nil, false
		}
		if vv, dup := h[k]; dup {
			h[k] = append(vv, v)
		} else {
			vals[0] = v
			h[k], vals = vals[:1:1], vals[1:]
		}
	}
	if hosts != 1 || !httpguts.ValidHostHeader(host) || httpguts.HeaderValuesContainsToken(h["Connection"], "close") {
		return nil, false
	}
	r := new(http.Request)
	*r = *base // the connection's context, and nothing else
	r.Method, r.URL, r.RequestURI, r.Host, r.Header = method, u, target, host, h
	r.Proto, r.ProtoMajor, r.ProtoMinor = proto, 1, 1
	r.Body = http.NoBody
	return r, true
}

// requestTarget parses a request's target in origin form. A path of unreserved characters and
// slashes, with a query of visible characters, is taken as it is; another goes through
// url.ParseRequestURI as net/http's would.
func requestTarget(target string) (*url.URL, bool) {
	if target == "" || target[0] != '/' {
		return nil, false
	}
	path, query, hasQuery := strings.Cut(target, "?")
	clean := true
	for i := 0; i < len(path) && clean; i++ {
		c := path[i]
		clean = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '/' || c == '-' || c == '.' || c == '_' || c == '~'
	}
	for i := 0; i < len(query) && clean; i++ {
		clean = query[i] > ' ' && query[i] < 0x7f && query[i] != '#'
	}
	if clean && (!hasQuery || query != "") {
		return &url.URL{Path: path, RawQuery: query}, true
	}
	u, err := url.ParseRequestURI(target)
	return u, err == nil
}
