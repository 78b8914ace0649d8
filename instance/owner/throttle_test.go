package owner

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestPolicyWait(t *testing.T) {
	p := DefaultAddrPolicy()
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {4, 0}, {5, time.Second}, {6, 2 * time.Second}, {7, 4 * time.Second},
		{14, 512 * time.Second}, {15, 15 * time.Minute}, {1000, 15 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.failures), func(t *testing.T) {
			if got := p.wait(tt.failures); got != tt.want {
				t.Fatalf("wait(%d) = %v, want %v", tt.failures, got, tt.want)
			}
		})
	}
}

func throttledFor(t *testing.T, err error) time.Duration {
	t.Helper()
	var te *ThrottledError
	if !errors.As(err, &te) || !errors.Is(err, ErrThrottled) {
		t.Fatalf("error = %v, want a *ThrottledError", err)
	}
	return te.RetryAfter
}

func TestThrottleBacksOff(t *testing.T) {
	th := NewThrottle(0)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	key := throttleKey{name: "a", policy: th.addrPolicy(), reset: true}
	for i := range 5 {
		if _, err := th.begin(now, key); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	if got := throttledFor(t, mustFail(th.begin(now, key))); got != time.Second {
		t.Fatalf("after 5 failures wait %v, want 1s", got)
	}
	now = now.Add(time.Second)
	if _, err := th.begin(now, key); err != nil { // the sixth
		t.Fatal(err)
	}
	if got := throttledFor(t, mustFail(th.begin(now.Add(500*time.Millisecond), key))); got != 1500*time.Millisecond {
		t.Fatalf("after 6 failures, 0.5 s later, wait %v, want 1.5s", got)
	}
	// One failure is forgotten per 10 min of quiet: 6 → 3 after 30 min, no wait.
	now = now.Add(30 * time.Minute)
	a, err := th.begin(now, key)
	if err != nil {
		t.Fatal(err)
	}
	a.succeeded() // forgets the key
	if th.Len() != 0 {
		t.Fatalf("after a success the throttle remembers %d keys, want 0", th.Len())
	}
}

func mustFail(_ *attempt, err error) error { return err }

func TestThrottleInstanceAndAddress(t *testing.T) {
	th := NewThrottle(0)
	th.Instance = Policy{Free: 3, Base: time.Minute, Max: time.Minute, Forget: time.Hour}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	inst := throttleKey{name: "i", policy: th.instancePolicy()}
	addr := func(n int) throttleKey {
		return throttleKey{name: fmt.Sprint("a", n), policy: th.addrPolicy(), reset: true}
	}
	for i := range 3 { // three addresses, one failure each
		if _, err := th.begin(now, inst, addr(i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := throttledFor(t, mustFail(th.begin(now, inst, addr(99)))); got != time.Minute {
		t.Fatalf("instance wait %v, want 1m", got)
	}
	// A success elsewhere undoes only its own failure on the instance key.
	now = now.Add(time.Minute)
	a, err := th.begin(now, inst, addr(0))
	if err != nil {
		t.Fatal(err)
	}
	a.neutral()
	if _, err := th.begin(now, inst, addr(1)); err != nil {
		t.Fatalf("after a neutral attempt: %v", err)
	}
}

func TestThrottleIsBounded(t *testing.T) {
	th := NewThrottle(100)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	hot := throttleKey{name: "hot", policy: th.addrPolicy()}
	for i := range 10_000 {
		key := throttleKey{name: fmt.Sprint("addr", i), policy: th.addrPolicy()}
		_, _ = th.begin(now, hot, key)
	}
	if n := th.Len(); n > 100 {
		t.Fatalf("throttle remembers %d keys, limit 100", n)
	}
	// The key used on every attempt stays (least recently used goes first).
	if _, err := th.begin(now, hot); !errors.Is(err, ErrThrottled) {
		t.Fatalf("hot key forgotten: %v", err)
	}
}

func TestZeroThrottle(t *testing.T) {
	var th Throttle
	now := time.Now()
	key := throttleKey{name: "k", policy: th.addrPolicy()}
	for range DefaultAddrPolicy().Free {
		if _, err := th.begin(now, key); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := th.begin(now, key); !errors.Is(err, ErrThrottled) {
		t.Fatalf("zero Throttle did not throttle: %v", err)
	}
}

func TestAddrKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"192.0.2.1:5555", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2::9]:443", "2001:db8:1:2::/64"},
		{"unix-socket", "unix-socket"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := addrKey(tt.in); got != tt.want {
				t.Fatalf("addrKey(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
