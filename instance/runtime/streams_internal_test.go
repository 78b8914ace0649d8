package runtime

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/instance/auth"
)

func TestStreamsEnd(t *testing.T) {
	t.Parallel()
	var s streams
	bg := context.Background()
	all, releaseAll := s.bind(bg, "i1", auth.Claims{Subject: "app:notes", Scopes: []string{"io.hearth.notes"}})
	more, releaseMore := s.bind(bg, "i1", auth.Claims{Subject: "app:notes", Scopes: []string{"io.hearth.notes", "io.hearth.files"}})
	other, releaseOther := s.bind(bg, "i2", auth.Claims{Subject: "app:notes", Scopes: []string{"io.hearth.files"}})
	cli, releaseCLI := s.bind(bg, "i1", auth.Claims{Subject: "cli", Scopes: []string{"io.hearth.files"}})
	defer releaseAll()
	defer releaseOther()
	defer releaseCLI()
	if n := s.count("i1", "app:notes"); n != 2 {
		t.Fatalf("%d streams of app:notes, want 2", n)
	}
	if n := s.count("i1", "cli"); n != 0 {
		t.Errorf("a CLI token, which nothing revokes, was registered")
	}

	// The approval narrowed to notes: the stream holding files ends, with its cause.
	s.end("i1", "app:notes", notAllIn([]string{"io.hearth.notes"}))
	if !errors.Is(context.Cause(more), errTokenEnded) {
		t.Errorf("the stream holding more than approved: %v", context.Cause(more))
	}
	for name, ctx := range map[string]context.Context{"notes": all, "other instance": other, "cli": cli} {
		if ctx.Err() != nil {
			t.Errorf("the %s stream ended", name)
		}
	}
	releaseMore()
	releaseMore() // twice is harmless
	if n := s.count("i1", "app:notes"); n != 1 {
		t.Errorf("%d streams after a release, want 1", n)
	}

	s.end("i1", "app:notes", nil)
	if !errors.Is(context.Cause(all), errTokenEnded) || other.Err() != nil {
		t.Errorf("after the uninstall: %v, other instance %v", context.Cause(all), other.Err())
	}
}

func TestStreamsExpiry(t *testing.T) {
	t.Parallel()
	var s streams
	past, release := s.bind(context.Background(), "i1", auth.Claims{Subject: "cli", Expires: time.Now().Add(-time.Second).Unix()})
	defer release()
	if !errors.Is(context.Cause(past), errTokenEnded) {
		t.Errorf("a token expired already: %v", context.Cause(past))
	}
	never, release2 := s.bind(context.Background(), "i1", auth.Claims{Subject: "cli"})
	if _, ok := never.Deadline(); ok {
		t.Error("a token without expiry has a deadline")
	}
	release2()
	if never.Err() == nil {
		t.Error("release does not end the context")
	}
}
