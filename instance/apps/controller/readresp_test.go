package controller

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// FuzzReadPlainResponse checks that a response readPlainResponse takes is read as
// http.ReadResponse reads it: the same status, headers, length, body, trailer and bytes left.
func FuzzReadPlainResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: Fri, 27 Nov 2026 12:04:25 GMT\r\n" +
			"Connection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nok\n\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 3\r\n\r\nok\nextra",
		"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nX-A: 1\r\nx-a: 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nX-T: v\r\n\r\nrest",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
		"HTTP/1.1 500\r\nContent-Length: 1\r\n\r\nx",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n Folded: x\r\n\r\nx",
		"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, head bool) {
		method := http.MethodGet
		if head {
			method = http.MethodHead
		}
		req, _ := http.NewRequest(method, "http://app.example/", nil)
		fbr := bufio.NewReaderSize(bytes.NewReader(data), 16<<10)
		fast, ok := readPlainResponse(fbr, req)
		if !ok {
			if fbr.Buffered() != min(len(data), 16<<10) {
				t.Fatalf("declined having read %d bytes", min(len(data), 16<<10)-fbr.Buffered())
			}
			return
		}
		sbr := bufio.NewReaderSize(bytes.NewReader(data), 16<<10)
		slow, err := http.ReadResponse(sbr, req)
		if err != nil {
			t.Fatalf("took a response http.ReadResponse refuses: %v", err)
		}
		type respHead struct {
			Status           string
			StatusCode       int
			Proto            string
			Major, Minor     int
			Header           http.Header
			ContentLength    int64
			TransferEncoding []string
			Close            bool
		}
		headOf := func(r *http.Response) respHead {
			return respHead{r.Status, r.StatusCode, r.Proto, r.ProtoMajor, r.ProtoMinor, r.Header,
				r.ContentLength, r.TransferEncoding, r.Close}
		}
		if got, want := headOf(fast), headOf(slow); !reflect.DeepEqual(got, want) {
			t.Fatalf("head:\n got %+v\nwant %+v", got, want)
		}
		fb, ferr := io.ReadAll(fast.Body)
		sb, serr := io.ReadAll(slow.Body)
		if !bytes.Equal(fb, sb) || (ferr == nil) != (serr == nil) {
			t.Fatalf("body: got %q, %v; want %q, %v", fb, ferr, sb, serr)
		}
		if ferr != nil {
			return // the connection is dropped
		}
		if !reflect.DeepEqual(fast.Trailer, slow.Trailer) {
			t.Fatalf("trailer: got %v, want %v", fast.Trailer, slow.Trailer)
		}
		frest, _ := io.ReadAll(fbr)
		srest, _ := io.ReadAll(sbr)
		if !bytes.Equal(frest, srest) {
			t.Fatalf("left: got %q, want %q", frest, srest)
		}
	})
}

func TestReadPlainResponseTakes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, resp string
		takes      bool
	}{
		{"node chunked", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\n" +
			"Keep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nok\n\r\n0\r\n\r\n", true},
		{"length", "HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\nno", true},
		{"close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", false},
		{"until close", "HTTP/1.1 200 OK\r\n\r\nok", false},
		{"both lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\nok", false},
		{"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", false},
		{"gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", false},
		{"folded", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX: a\r\n b\r\n\r\nok", false},
		{"bare LF", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", false},
		{"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false},
		{"no content", "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", false},
		{"early hints", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", false},
		{"space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok", false},
		{"declared trailer", "HTTP/1.1 200 OK\r\nTrailer: X\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n\r\n", false},
		{"head not arrived", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest(http.MethodGet, "http://app.example/", nil)
			br := bufio.NewReader(strings.NewReader(tc.resp))
			if _, took := readPlainResponse(br, req); took != tc.takes {
				t.Fatalf("took %v, want %v", took, tc.takes)
			}
		})
	}
}
