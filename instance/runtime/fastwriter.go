package runtime

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
)

// fastWriter is the http.ResponseWriter of a request on a taken-over connection: the head is
// written as the handler left it (no copy, no sort), and the body, up to bufferedBody, goes
// with its length in the same write.
type fastWriter struct {
	c           *appConn
	req         *http.Request
	h           http.Header
	status      int
	wroteHeader bool
	committed   bool  // the head is written
	chunked     bool  // the body goes chunked
	declared    int64 // the handler's Content-Length; -1: none
	written     int64 // body bytes sent or held
	trailers    []string
	closeAfter  bool
}

func (w *fastWriter) Header() http.Header { return w.h }

func (w *fastWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		w.writeInformational(code)
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	w.wroteHeader, w.status = true, code
	if cl := w.h.Get("Content-Length"); cl != "" {
		n, err := strconv.ParseInt(cl, 10, 64)
		if err == nil && n >= 0 {
			w.declared = n
		} else {
			w.h.Del("Content-Length")
		}
	}
}

func (w *fastWriter) writeInformational(code int) {
	bw := w.c.bw
	writeStatus(bw, code)
	writeHeaderLines(bw, w.h, nil)
	bw.WriteString("\r\n")
	_ = bw.Flush()
}

// bodyAllowed reports whether the response may have a body.
func (w *fastWriter) bodyAllowed() bool {
	return w.status != http.StatusNoContent && w.status != http.StatusNotModified
}

func (w *fastWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.bodyAllowed() {
		return 0, http.ErrBodyNotAllowed
	}
	if w.declared >= 0 && w.written+int64(len(p)) > w.declared {
		return 0, http.ErrContentLength
	}
	w.written += int64(len(p))
	if w.req.Method == http.MethodHead {
		return len(p), nil
	}
	if !w.committed {
		if len(w.c.body)+len(p) <= bufferedBody {
			w.c.body = append(w.c.body, p...)
			return len(p), nil
		}
		w.commit(false)
	}
	return w.send(p)
}

// send writes body bytes after the head.
func (w *fastWriter) send(p []byte) (int, error) {
	bw := w.c.bw
	if w.chunked && len(p) > 0 {
		bw.WriteString(strconv.FormatInt(int64(len(p)), 16))
		bw.WriteString("\r\n")
		n, err := bw.Write(p)
		bw.WriteString("\r\n")
		return n, err
	}
	return bw.Write(p)
}

// Flush sends what the handler wrote so far: a stream.
func (w *fastWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		w.commit(false)
	}
	_ = w.c.bw.Flush()
}

// commit writes the head and what the body holds; done: the handler has finished, so the
// body's length is what it wrote.
func (w *fastWriter) commit(done bool) {
	w.committed = true
	bw, h := w.c.bw, w.h
	length := w.declared
	if done && length < 0 && w.req.Method != http.MethodHead {
		length = w.written
	}
	if tr := h["Trailer"]; tr != nil {
		for _, v := range tr {
			for _, k := range strings.Split(v, ",") {
				if k = http.CanonicalHeaderKey(strings.TrimSpace(k)); k != "" {
					w.trailers = append(w.trailers, k)
				}
			}
		}
	}
	if w.bodyAllowed() && w.req.Method != http.MethodHead && (length < 0 || len(w.trailers) > 0) {
		w.chunked, length = true, -1
	}
	if h["Content-Type"] == nil && w.bodyAllowed() && len(w.c.body) > 0 {
		h["Content-Type"] = []string{http.DetectContentType(w.c.body)}
	}
	if httpguts.HeaderValuesContainsToken(h["Connection"], "close") {
		w.closeAfter = true
	}
	writeStatus(bw, w.status)
	writeHeaderLines(bw, h, func(k string) bool {
		return k == "Content-Length" || k == "Transfer-Encoding" || k == "Trailer" && !w.chunked
	})
	if h["Date"] == nil {
		bw.WriteString("Date: ")
		bw.WriteString(httpDate())
		bw.WriteString("\r\n")
	}
	switch {
	case !w.bodyAllowed():
	case w.chunked:
		bw.WriteString("Transfer-Encoding: chunked\r\n")
	case length >= 0:
		bw.WriteString("Content-Length: ")
		bw.WriteString(strconv.FormatInt(length, 10))
		bw.WriteString("\r\n")
	}
	bw.WriteString("\r\n")
	if len(w.c.body) > 0 {
		_, _ = w.send(w.c.body)
		w.c.body = w.c.body[:0]
	}
}

// finish ends the response; false: the connection must end (it broke, or the body did not
// have the length the handler declared).
func (w *fastWriter) finish() bool {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		w.commit(true)
	}
	bw := w.c.bw
	if w.chunked {
		bw.WriteString("0\r\n")
		for _, k := range w.trailers {
			writeLines(bw, k, w.h[k])
		}
		for k, vv := range w.h {
			if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
				writeLines(bw, http.CanonicalHeaderKey(name), vv)
			}
		}
		bw.WriteString("\r\n")
	}
	if err := bw.Flush(); err != nil {
		return false
	}
	return w.declared < 0 || w.written == w.declared || w.req.Method == http.MethodHead
}

func writeStatus(bw *bufio.Writer, code int) {
	bw.WriteString("HTTP/1.1 ")
	bw.WriteString(strconv.Itoa(code))
	bw.WriteByte(' ')
	if text := http.StatusText(code); text != "" {
		bw.WriteString(text)
	} else {
		bw.WriteString("status code " + strconv.Itoa(code))
	}
	bw.WriteString("\r\n")
}

// writeHeaderLines writes h's lines but those skip names, and those net/http would drop: invalid
// names, and trailers set under http.TrailerPrefix.
func writeHeaderLines(bw *bufio.Writer, h http.Header, skip func(string) bool) {
	for k, vv := range h {
		if (skip != nil && skip(k)) || strings.HasPrefix(k, http.TrailerPrefix) || !httpguts.ValidHeaderFieldName(k) {
			continue
		}
		writeLines(bw, k, vv)
	}
}

// writeLines writes a header's values, one line each, with line breaks turned into spaces.
func writeLines(bw *bufio.Writer, k string, vv []string) {
	for _, v := range vv {
		if strings.ContainsAny(v, "\r\n") {
			v = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(v)
		}
		bw.WriteString(k)
		bw.WriteString(": ")
		bw.WriteString(strings.TrimSpace(v))
		bw.WriteString("\r\n")
	}
}

// httpDate is the Date header's value now, formatted once a second.
func httpDate() string {
	now := time.Now().Unix()
	if d := dateCache.Load(); d != nil && d.unix == now {
		return d.text
	}
	d := &cachedDate{unix: now, text: time.Unix(now, 0).UTC().Format(http.TimeFormat)}
	dateCache.Store(d)
	return d.text
}

type cachedDate struct {
	unix int64
	text string
}

var dateCache atomic.Pointer[cachedDate]
