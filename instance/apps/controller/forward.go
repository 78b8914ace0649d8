package controller

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// forward proxies a plain request (see isPlain) to the app as httputil.ReverseProxy would, with
// the same headers removed and added, but without its copies: the request's head is written
// from r straight onto a pooled connection, and the response's headers are handed to w as
// they were read. It is the proxy's path for nearly every request; the rest (bodies, protocol
// upgrades) go through p.proxy.
func (p *proc) forward(w http.ResponseWriter, r *http.Request) {
	resp, err := p.transport.roundTrip(r, true)
	if err != nil {
		p.proxyError(w, r, err)
		return
	}
	p.respond(w, r, resp)
}

// respond writes the app's response to a forwarded request to w.
func (p *proc) respond(w http.ResponseWriter, r *http.Request, resp *http.Response) {
	if resp.StatusCode == http.StatusSwitchingProtocols {
		resp.Body.Close()
		p.proxyError(w, r, errUnaskedUpgrade)
		return
	}
	h := w.Header()
	copyResponseHeader(h, resp.Header)
	if len(resp.Trailer) > 0 {
		keys := make([]string, 0, len(resp.Trailer))
		for k := range resp.Trailer {
			keys = append(keys, k)
		}
		h.Add("Trailer", strings.Join(keys, ", "))
	}
	w.WriteHeader(resp.StatusCode)
	if err := copyBody(w, resp); err != nil {
		resp.Body.Close()
		if r.Context().Value(http.ServerContextKey) != nil {
			panic(http.ErrAbortHandler) // the client must not take a cut body for a whole one
		}
		return
	}
	resp.Body.Close() // now: it fills resp.Trailer
	if len(resp.Trailer) > 0 {
		if f, ok := w.(http.Flusher); ok {
			f.Flush() // chunked, so that the trailers can follow
		}
		for k, vv := range resp.Trailer {
			for _, v := range vv {
				h.Add(http.TrailerPrefix+k, v)
			}
		}
	}
}

var errUnaskedUpgrade = errors.New("controller: the app switched protocols unasked")

// isPlain reports whether forward may proxy r: it has no body and asks for no protocol
// upgrade.
func isPlain(r *http.Request) bool {
	return (r.Body == nil || r.Body == http.NoBody) && r.ContentLength == 0 && r.Host != "" &&
		r.Header["Upgrade"] == nil && !httpguts.HeaderValuesContainsToken(r.Header["Connection"], "upgrade")
}

// copyBody copies a response's body to w, flushing after each read when its length is unknown
// (a stream), as httputil.ReverseProxy does.
func copyBody(w http.ResponseWriter, resp *http.Response) error {
	if resp.Body == http.NoBody {
		return nil
	}
	var flusher http.Flusher
	if resp.ContentLength == -1 {
		flusher, _ = w.(http.Flusher)
	}
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	for {
		n, rerr := resp.Body.Read(*buf)
		if n > 0 {
			if _, err := w.Write((*buf)[:n]); err != nil {
				return err
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// hopHeaders are the headers of one connection, never forwarded (httputil.ReverseProxy's list).
var hopHeaders = map[string]bool{"Connection": true, "Proxy-Connection": true, "Keep-Alive": true,
	"Proxy-Authenticate": true, "Proxy-Authorization": true, "Te": true, "Trailer": true,
	"Transfer-Encoding": true, "Upgrade": true}

// forwardingHeaders are set by the proxy, never taken from the client.
var forwardingHeaders = map[string]bool{"Forwarded": true, "X-Forwarded-For": true,
	"X-Forwarded-Host": true, "X-Forwarded-Proto": true}

// copyResponseHeader adds the end-to-end headers of an app's response to h. The values are
// shared, not copied: the response is dropped after.
func copyResponseHeader(h, from http.Header) {
	conn := from["Connection"]
	for k, vv := range from {
		if hopHeaders[k] || httpguts.HeaderValuesContainsToken(conn, k) {
			continue
		}
		if cur, ok := h[k]; ok {
			h[k] = append(cur, vv...)
		} else {
			h[k] = vv
		}
	}
}

// writeForwarded writes the head of r as the app gets it: the method and URL, the client's
// end-to-end headers, and X-Forwarded-For, -Host and -Proto. r has no body.
func writeForwarded(bw *bufio.Writer, r *http.Request) error {
	bw.WriteString(r.Method)
	bw.WriteByte(' ')
	bw.WriteString(requestURI(r.URL))
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	writeValue(bw, r.Host)
	bw.WriteString("\r\n")
	conn := r.Header["Connection"]
	for k, vv := range r.Header {
		if hopHeaders[k] || forwardingHeaders[k] || k == "Content-Length" || k == "Host" ||
			httpguts.HeaderValuesContainsToken(conn, k) {
			continue
		}
		for _, v := range vv {
			bw.WriteString(k)
			bw.WriteString(": ")
			writeValue(bw, v)
			bw.WriteString("\r\n")
		}
	}
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		bw.WriteString("Content-Length: 0\r\n") // as net/http's client says it
	}
	if httpguts.HeaderValuesContainsToken(r.Header["Te"], "trailers") {
		bw.WriteString("Te: trailers\r\n")
	}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		bw.WriteString("X-Forwarded-For: ")
		writeValue(bw, ip)
		bw.WriteString("\r\n")
	}
	bw.WriteString("X-Forwarded-Host: ")
	writeValue(bw, r.Host)
	if r.TLS == nil {
		bw.WriteString("\r\nX-Forwarded-Proto: http\r\n\r\n")
	} else {
		bw.WriteString("\r\nX-Forwarded-Proto: https\r\n\r\n")
	}
	return nil
}

// writeValue writes a header value with any line break turned into a space and the spaces
// around it trimmed, as net/http does.
func writeValue(bw *bufio.Writer, v string) {
	v = textproto.TrimString(v)
	if strings.ContainsAny(v, "\r\n") {
		v = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(v)
	}
	bw.WriteString(v)
}

// requestURI is the request target of u, with a query the app could read differently from
// the runtime (semicolons, bad escapes, too many parameters) re-encoded, as
// httputil.ReverseProxy does.
func requestURI(u *url.URL) string {
	if q := cleanQuery(u.RawQuery); q != u.RawQuery {
		c := *u
		c.RawQuery = q
		return c.RequestURI()
	}
	return u.RequestURI()
}

// maxQueryParams is net/url's default bound on the parameters of a query.
const maxQueryParams = 10000

func cleanQuery(s string) string {
	reencode := func() string {
		v, _ := url.ParseQuery(s)
		return v.Encode()
	}
	if strings.Count(s, "&")+1 > maxQueryParams {
		return reencode()
	}
	for i := 0; i < len(s); {
		switch s[i] {
		case ';':
			return reencode()
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return reencode()
			}
			i += 3
		default:
			i++
		}
	}
	return s
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
