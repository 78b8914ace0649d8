package owner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// racers is how many goroutines race in each concurrency test.
const racers = 8

// parallel runs f(i) for i in [0, n) at once and returns the errors.
func parallel(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// client is the i-th of distinct client addresses: attempts in flight count as failures until
// they succeed, so more than five at once from one address would be throttled.
func client(i int) ClientInfo { return ClientInfo{Addr: fmt.Sprintf("192.0.2.%d", i+1)} }

// successes counts nil errors and fails the test on errors other than allowed.
func successes(t *testing.T, errs []error, allowed error) int {
	t.Helper()
	n := 0
	for _, err := range errs {
		switch {
		case err == nil:
			n++
		case !errors.Is(err, allowed):
			t.Errorf("unexpected error: %v", err)
		}
	}
	return n
}

func testConcurrentLogins(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o := onboarded(t, newStore(t))
	cookies := make([]string, racers)
	errs := parallel(racers, func(i int) (err error) {
		cookies[i], _, err = o.Login(ctx, testPass, "", client(i))
		return err
	})
	if got := successes(t, errs, nil); got != racers {
		t.Fatalf("%d of %d concurrent logins succeeded", got, racers)
	}
	list, err := o.ListSessions(ctx)
	if err != nil || len(list) != racers {
		t.Fatalf("ListSessions = %d sessions, %v; want %d", len(list), err, racers)
	}
}

func testConcurrentOneTOTPCodeManyLogins(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o, secret, _ := withTOTP(t, newStore(t))
	o.clock.Advance(30e9)
	code := codeAt(t, secret, o.clock.Now())
	errs := parallel(racers, func(i int) error {
		_, _, err := o.Login(ctx, testPass, code, client(i))
		return err
	})
	if got := successes(t, errs, ErrBadCode); got != 1 {
		t.Fatalf("%d logins with one code succeeded, want 1", got)
	}
}

func testConcurrentOneRecoveryCodeManyLogins(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o, _, recovery := withTOTP(t, newStore(t))
	errs := parallel(racers, func(i int) error {
		_, _, err := o.Login(ctx, testPass, recovery[3], client(i))
		return err
	})
	if got := successes(t, errs, ErrBadCode); got != 1 {
		t.Fatalf("%d logins with one recovery code succeeded, want 1", got)
	}
}

func testConcurrentPassphraseChangeRacingLogins(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	const next = "the passphrase after the change"
	o := onboarded(t, newStore(t))
	keep, _ := o.login(t, "", "")
	errs := parallel(racers, func(i int) error {
		if i == 0 {
			return o.ChangePassphrase(ctx, testPass, next, keep)
		}
		_, _, err := o.Login(ctx, testPass, "", client(i))
		return err
	})
	if errs[0] != nil {
		t.Fatalf("ChangePassphrase: %v", errs[0])
	}
	successes(t, errs[1:], ErrBadPassphrase)
	list, err := o.ListSessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != SessionID(keep) {
		t.Fatalf("sessions after the change: %+v; want only the kept one", list)
	}
}

func testConcurrentBurstOfGuessesFromOneAddress(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o := onboarded(t, newStore(t))
	before := o.hasher.runs.Load()
	errs := parallel(3*racers, func(int) error {
		_, _, err := o.Login(ctx, "a wrong passphrase", "", ClientInfo{Addr: "198.51.100.1"})
		return err
	})
	var bad, throttled int
	for _, err := range errs {
		switch {
		case errors.Is(err, ErrBadPassphrase):
			bad++
		case errors.Is(err, ErrThrottled):
			throttled++
		default:
			t.Errorf("guess: %v", err)
		}
	}
	if free := DefaultAddrPolicy().Free; bad != free || throttled != 3*racers-free || o.hasher.runs.Load()-before != int64(free) {
		t.Fatalf("%d checked, %d throttled, %d hashes; want %d checked", bad, throttled, o.hasher.runs.Load()-before, free)
	}
}

func testConcurrentSessionsTouchedAtOnce(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o := onboarded(t, newStore(t))
	cookie, _ := o.login(t, "", "")
	o.clock.Advance(DefaultTouchEvery)
	errs := parallel(racers, func(int) error {
		_, err := o.Session(ctx, cookie)
		return err
	})
	if got := successes(t, errs, nil); got != racers {
		t.Fatalf("%d of %d concurrent session checks succeeded", got, racers)
	}
}
