package controller

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"strconv"
	"strings"
)

// readPlainResponse reads the head of a plain response from br when it has arrived whole, as
// http.ReadResponse would read it but without its copies: an HTTP/1.1 status line of a final
// status that allows a body, header lines of a token and a value of visible characters, a
// Connection header of "keep-alive" at most, and exactly one of a Content-Length or a
// "Transfer-Encoding: chunked". It reports false, having read nothing, for anything else:
// the caller then reads the response with http.ReadResponse.
func readPlainResponse(br *bufio.Reader, req *http.Request) (*http.Response, bool) {
	if _, err := br.Peek(1); err != nil {
		return nil, false
	}
	buf, _ := br.Peek(br.Buffered())
	end := bytes.Index(buf, []byte("\r\n\r\n"))
	if end < 0 {
		return nil, false
	}
	head := string(buf[:end+2]) // each line with its CRLF
	resp, chunked, ok := parsePlainHead(head, req)
	if !ok {
		return nil, false
	}
	_, _ = br.Discard(end + 4)
	plainBody(resp, br, chunked)
	return resp, true
}

// plainBody gives resp, whose head parsePlainHead read, its body: what follows in br.
func plainBody(resp *http.Response, br *bufio.Reader, chunked bool) {
	switch {
	case chunked:
		resp.Body = &chunkedBody{r: httputil.NewChunkedReader(br), br: br, resp: resp}
	case resp.ContentLength == 0:
		resp.Body = http.NoBody
	default:
		resp.Body = &lengthBody{br: br, n: resp.ContentLength}
	}
}

// parsePlainHead parses a response head, each line ending in CRLF, as readPlainResponse
// describes; chunked reports a chunked body.
func parsePlainHead(head string, req *http.Request) (resp *http.Response, chunked, ok bool) {
	line, rest, _ := strings.Cut(head, "\r\n")
	if len(line) < 12 || line[:9] != "HTTP/1.1 " || (len(line) > 12 && line[12] != ' ') ||
		!visible(line[12:]) {
		return nil, false, false
	}
	status, code := line[9:], 0
	for _, c := range []byte(line[9:12]) {
		if c < '0' || c > '9' {
			return nil, false, false
		}
		code = code*10 + int(c-'0')
	}
	if code < 200 || code > 599 || code == http.StatusNoContent || code == http.StatusNotModified {
		return nil, false, false
	}
	n := strings.Count(rest, "\r\n")
	h := make(http.Header, n)
	strs := make([]string, n) // the values of single headers, in one allocation
	length := int64(-1)
	for rest != "" {
		line, rest, _ = strings.Cut(rest, "\r\n")
		k, v, found := strings.Cut(line, ":")
		if !found || !isToken(k) {
			return nil, false, false
		}
		v = strings.Trim(v, " \t")
		if !visible(v) {
			return nil, false, false
		}
		k = textproto.CanonicalMIMEHeaderKey(k)
		switch k {
		case "Content-Length":
			n, err := strconv.ParseUint(v, 10, 63)
			if length >= 0 || chunked || err != nil || v == "" || v[0] == '+' {
				return nil, false, false
			}
			length = int64(n)
		case "Transfer-Encoding":
			if length >= 0 || chunked || v != "chunked" {
				return nil, false, false
			}
			chunked = true
			continue // net/http keeps it out of the header, in resp.TransferEncoding
		case "Connection":
			if !strings.EqualFold(v, "keep-alive") || h[k] != nil {
				return nil, false, false
			}
		case "Trailer", "Pragma":
			return nil, false, false
		}
		if vv, dup := h[k]; dup {
			h[k] = append(vv, v)
		} else {
			strs[0] = v
			h[k], strs = strs[:1:1], strs[1:]
		}
	}
	if (length < 0) == !chunked || req.Method == http.MethodHead {
		return nil, false, false
	}
	resp = &http.Response{Status: status, StatusCode: code, Proto: "HTTP/1.1", ProtoMajor: 1,
		ProtoMinor: 1, Header: h, ContentLength: length, Request: req}
	if chunked {
		resp.TransferEncoding = []string{"chunked"}
	}
	return resp, chunked, true
}

// isToken reports whether s is a non-empty HTTP token (a header name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// visible reports whether s holds only visible ASCII characters, spaces and tabs.
func visible(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c > '~' {
			return false
		}
	}
	return true
}

// lengthBody is a body of n more bytes, read as net/http reads one: io.ErrUnexpectedEOF if the
// connection ends before, io.EOF with the last bytes.
type lengthBody struct {
	br *bufio.Reader
	n  int64
}

func (b *lengthBody) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.br.Read(p)
	b.n -= int64(n)
	switch {
	case b.n == 0:
		return n, io.EOF
	case err == io.EOF:
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

func (b *lengthBody) Close() error { return nil }

// chunkedBody is a chunked body, with its trailer read into resp.Trailer as net/http does.
type chunkedBody struct {
	r    io.Reader // the chunks
	br   *bufio.Reader
	resp *http.Response
	err  error // once the body ended: io.EOF, or why it could not be read
}

var errLongTrailer = errors.New("controller: the app's trailer is too long")

func (b *chunkedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.r.Read(p)
	if err == io.EOF {
		err = b.readTrailer()
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

// readTrailer reads what follows the last chunk: an empty line, or trailer lines and one.
func (b *chunkedBody) readTrailer() error {
	buf, err := b.br.Peek(2)
	if string(buf) == "\r\n" {
		_, _ = b.br.Discard(2)
		return io.EOF
	}
	if len(buf) < 2 {
		return io.ErrUnexpectedEOF
	}
	if err != nil {
		return err
	}
	if !upcomingEnd(b.br) {
		return errLongTrailer // as net/http, which wants the whole trailer in its buffer
	}
	hdr, err := textproto.NewReader(b.br).ReadMIMEHeader()
	if err != nil {
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	b.resp.Trailer = http.Header(hdr)
	return io.EOF
}

func (b *chunkedBody) Close() error { return nil }

// upcomingEnd reports whether an empty line comes within br's buffer, waiting for it as
// net/http does.
func upcomingEnd(br *bufio.Reader) bool {
	for n := 4; ; n++ {
		buf, err := br.Peek(n)
		if bytes.HasSuffix(buf, []byte("\r\n\r\n")) {
			return true
		}
		if err != nil {
			return false
		}
	}
}
