package controller

import "testing"

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
