package realtime

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/internal/testsvc"
)

// TestRedisNoLocalDuplicate checks that a subscriber on the publishing hub gets each event once.
func TestRedisNoLocalDuplicate(t *testing.T) {
	t.Parallel()
	url := testsvc.Redis(t)
	h, other := newRedisHub(t, url), newRedisHub(t, url)
	inst := newInstance(t)
	here := subscribe(t, h, inst, "io.hearth.notes")
	there := subscribe(t, other, inst, "io.hearth.notes")
	for i := range 3 {
		publish(t, h, inst, note("io.hearth.notes", i))
	}
	for _, s := range []*Subscription{here, there} {
		for i := range 3 {
			if got := receive(t, s); got.ID != note("", i).ID {
				t.Fatalf("event %d: got %s", i, got.ID)
			}
		}
	}
	publish(t, other, inst, note("io.hearth.notes", 9))
	if got := receive(t, here); got.ID != "doc9" {
		t.Fatalf("got %s twice or out of order, want doc9", got.ID)
	}
}

// TestRedisChannelsFollowSubscribers checks that the hub holds a Redis subscription for an
// instance only while it has subscribers of it, one for all of them.
func TestRedisChannelsFollowSubscribers(t *testing.T) {
	t.Parallel()
	url := testsvc.Redis(t)
	h := newRedisHub(t, url)
	probe := redisClient(t, url)
	channels := func() []string {
		t.Helper()
		got, err := probe.PubSubChannels(context.Background(), ChannelPrefix+"*").Result()
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		return got
	}
	waitChannels := func(want ...string) {
		t.Helper()
		waitFor(t, fmt.Sprintf("channels %v", want), func() bool { return slices.Equal(channels(), want) })
	}

	for i := range 100 { // idle instances: published to, never subscribed
		publish(t, h, fmt.Sprintf("idle%d", i), note("io.hearth.notes", i))
	}
	waitChannels()
	a1 := subscribe(t, h, "a", "io.hearth.notes")
	a2 := subscribe(t, h, "a", "io.hearth.files")
	b := subscribe(t, h, "b")
	if got, want := channels(), []string{ChannelPrefix + "a", ChannelPrefix + "b"}; !slices.Equal(got, want) {
		t.Fatalf("channels = %v, want %v", got, want)
	}
	a1.Close()
	waitChannels(ChannelPrefix+"a", ChannelPrefix+"b")
	a2.Close()
	waitChannels(ChannelPrefix + "b")
	b.Close()
	waitChannels()

	again := subscribe(t, h, "a", "io.hearth.notes") // resubscribing after the last left works
	publish(t, h, "a", note("io.hearth.notes", 1))
	if got := receive(t, again); got.ID != "doc1" {
		t.Fatalf("got %s", got.ID)
	}
}

// TestRedisInterrupted checks that losing the pub/sub connection ends the subscriptions with
// ErrInterrupted (events were lost), and that the hub works again once go-redis reconnected.
func TestRedisInterrupted(t *testing.T) {
	t.Parallel()
	url := testsvc.Redis(t)
	h := newRedisHub(t, url)
	probe := redisClient(t, url)
	inst := newInstance(t)
	s := subscribe(t, h, inst, "io.hearth.notes")

	if err := probe.ClientKillByFilter(context.Background(), "TYPE", "pubsub").Err(); err != nil {
		t.Fatal(err)
	}
	for range s.C() {
	}
	if !errors.Is(s.Err(), ErrInterrupted) {
		t.Fatalf("subscription ended with %v, want ErrInterrupted", s.Err())
	}
	again := subscribe(t, h, inst, "io.hearth.notes")
	publish(t, h, inst, note("io.hearth.notes", 1))
	if got := receive(t, again); got.ID != "doc1" {
		t.Fatalf("got %s", got.ID)
	}
}

// TestRedisUnreachable checks that Subscribe and Publish fail, not hang, without Redis.
func TestRedisUnreachable(t *testing.T) {
	t.Parallel()
	url := fmt.Sprintf("redis://127.0.0.1:%d/0", testsvc.FreePort(t))
	h := newRedisHub(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := h.Subscribe(ctx, "a", "io.hearth.notes"); err == nil {
		t.Error("Subscribe succeeded without Redis")
	}
	if err := h.Publish(ctx, "a", note("io.hearth.notes", 1)); err == nil {
		t.Error("Publish succeeded without Redis")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.channels) != 0 {
		t.Errorf("failed subscriptions left channels behind: %v", h.channels)
	}
}
