package controller

import "testing"

func TestBodyFraming(t *testing.T) {
	for _, tc := range []struct {
		head        string
		length      int
		chunked, ok bool
	}{
		{"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n", 12, false, true},
		{"HTTP/1.1 200 OK\r\ncontent-length:0\r\nX: y\r\n", 0, false, true},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n", -1, true, true},
		{"HTTP/1.1 200 OK\r\n", 0, false, false},                                                    // neither: read to the close
		{"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n", 0, false, false}, // both
		{"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n", 0, false, false},          // twice
		{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n", 0, false, false},
		{"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n", 0, false, false},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n", 0, false, false},
	} {
		length, chunked, ok := bodyFraming([]byte(tc.head))
		if ok != tc.ok || ok && (length != tc.length || chunked != tc.chunked) {
			t.Errorf("%q: %d %v %v, want %d %v %v", tc.head, length, chunked, ok, tc.length, tc.chunked, tc.ok)
		}
	}
}

func TestChunksCame(t *testing.T) {
	for _, tc := range []struct {
		body string
		want Answer
	}{
		{"3\r\nok\n\r\n0\r\n\r\n", AnswerReady},
		{"3;ext=1\r\nok\n\r\na\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n", AnswerReady},
		{"0\r\n\r\n", AnswerReady},
		{"3\r\nok\n\r\n", AnswerSlow},        // more to come: a stream, perhaps
		{"3\r\nok\n\r\n0\r\n", AnswerSlow},   // the trailer's end has not come
		{"3\r\nok\nXX0\r\n\r\n", AnswerSlow}, // not a chunk's end
		{"zz\r\nok\n\r\n0\r\n\r\n", AnswerSlow},
		{"", AnswerSlow},
	} {
		if got := chunksCame([]byte(tc.body)); got != tc.want {
			t.Errorf("%q: %d, want %d", tc.body, got, tc.want)
		}
	}
}
