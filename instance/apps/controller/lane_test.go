package controller

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// fill polls u until the app's answer is more than pending (a test has no poller).
func fill(t *testing.T, u *Upstream) Answer {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, _, err := u.Fill()
		if err != nil {
			t.Fatalf("Fill: %v", err)
		}
		if a != AnswerPending {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatal("no answer")
		}
		time.Sleep(time.Millisecond)
	}
}

// A lane exchanges requests with a running app without waiting: whole answers are written as
// the Handler writes them, the rest (a stream) is finished by Finish; a stopped app takes no
// request down the lane.
func TestLane(t *testing.T) {
	c := newController(t, Config{})
	app := probeApp(t, "lane.example")
	lane := c.Lane(app)
	if _, ok := lane.Begin(); ok {
		t.Fatal("Begin on an app that never started")
	}
	srv := serve(t, c, app)
	if status, body := get(t, srv, "/"); status != 200 || body != "probe ok\n" {
		t.Fatalf("%d %q", status, body)
	}
	run, ok := lane.Begin()
	if !ok {
		t.Fatal("Begin on a running app")
	}
	u, err := lane.Dial(run)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	for _, path := range []string{"/", "/big?kb=3"} {
		r := httptest.NewRequest(http.MethodGet, "http://probe.lane.example"+path, nil)
		if err := u.Send(r); err != nil {
			t.Fatal(err)
		}
		if a := fill(t, u); a != AnswerReady {
			t.Fatalf("%s: %d, want ready", path, a)
		}
		w := httptest.NewRecorder()
		keep := u.Respond(w, r)
		body := w.Body.String()
		if !keep || w.Code != 200 || w.Header().Get("Content-Length") != strconv.Itoa(len(body)) ||
			w.Header().Get("Connection") != "" || w.Header().Get("Keep-Alive") != "" {
			t.Fatalf("%s: keep %v: %d %v %.40q", path, keep, w.Code, w.Header(), body)
		}
	}
	lane.End()

	// A stream: its head comes, not all its body; a goroutine finishes it.
	if _, ok := lane.Begin(); !ok {
		t.Fatal("Begin on a running app")
	}
	r := httptest.NewRequest(http.MethodGet, "http://probe.lane.example/stream", nil)
	if err := u.Send(r); err != nil {
		t.Fatal(err)
	}
	if a := fill(t, u); a != AnswerSlow {
		t.Fatalf("a stream: %d, want slow", a)
	}
	done := make(chan *httptest.ResponseRecorder)
	go func() {
		w := httptest.NewRecorder()
		u.Finish(w, r)
		lane.End()
		done <- w
	}()
	if status, _ := get(t, srv, "/stream-end"); status != 200 {
		t.Fatal(status)
	}
	if w := <-done; w.Body.String() != "first\nlast\n" {
		t.Errorf("the stream finished: %q", w.Body.String())
	}

	if err := c.Stop(context.Background(), app.Instance, app.Slug); err != nil {
		t.Fatal(err)
	}
	if _, ok := lane.Begin(); ok {
		t.Error("Begin on a stopped app")
	}
}
