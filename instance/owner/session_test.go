package owner

import (
	"context"
	"strings"
	"testing"
	"time"
)

func testSessionIdleTimeout(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o := onboarded(t, newStore(t))
	cookie, info := o.login(t, "", "")
	if want := o.clock.Now().Add(DefaultSessionIdle); !info.Expires.Equal(want) {
		t.Fatalf("Expires = %v, want %v", info.Expires, want)
	}
	o.clock.Advance(DefaultSessionIdle - time.Second)
	if _, err := o.Session(ctx, cookie); err != nil {
		t.Fatalf("Session just before the idle timeout: %v", err)
	}
	o.clock.Advance(DefaultSessionIdle - time.Second) // touched above: still alive
	if _, err := o.Session(ctx, cookie); err != nil {
		t.Fatalf("Session after a touch: %v", err)
	}
	o.clock.Advance(DefaultSessionIdle)
	_, err := o.Session(ctx, cookie)
	wantErr(t, "Session after the idle timeout", err, ErrNoSession)
	if _, _, err := o.store.Get(ctx, sessionPrefix+info.ID); err == nil {
		t.Fatal("the expired session is still stored")
	}
}

func testSessionAbsoluteLifetime(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o := onboarded(t, newStore(t))
	cookie, _ := o.login(t, "", "")
	for day := 1; day < 60; day++ {
		o.clock.Advance(24 * time.Hour)
		if _, err := o.Session(ctx, cookie); err != nil {
			t.Fatalf("day %d: %v", day, err)
		}
	}
	o.clock.Advance(24 * time.Hour)
	_, err := o.Session(ctx, cookie)
	wantErr(t, "Session after 60 days", err, ErrNoSession)
}

func testSessionLastSeenWrittenAtMostEveryMinute(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o := onboarded(t, newStore(t))
	cookie, info := o.login(t, "", "")
	_, rev0, _ := o.store.Get(ctx, sessionPrefix+info.ID)
	o.clock.Advance(30 * time.Second)
	got, err := o.Session(ctx, cookie)
	_, rev1, _ := o.store.Get(ctx, sessionPrefix+info.ID)
	if err != nil || !got.LastSeen.Equal(info.LastSeen) || rev1 != rev0 {
		t.Fatalf("after 30 s: LastSeen %v (was %v), rev %s → %s, %v; want no write", got.LastSeen, info.LastSeen, rev0, rev1, err)
	}
	o.clock.Advance(31 * time.Second)
	got, err = o.Session(ctx, cookie)
	_, rev2, _ := o.store.Get(ctx, sessionPrefix+info.ID)
	if err != nil || !got.LastSeen.Equal(o.clock.Now()) || rev2 == rev1 {
		t.Fatalf("after 61 s: LastSeen %v, rev %s → %s, %v; want a write", got.LastSeen, rev1, rev2, err)
	}
}

func testSessionBadCookies(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o := onboarded(t, newStore(t))
	for _, c := range []string{"", "x", strings.Repeat("A", 43), strings.Repeat("A", 44), "../" + strings.Repeat("A", 40), strings.Repeat("é", 22)} {
		_, err := o.Session(ctx, c)
		wantErr(t, "Session("+c+")", err, ErrNoSession)
	}
}

func testSessionLogout(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o := onboarded(t, newStore(t))
	cookie, _ := o.login(t, "", "")
	other, _ := o.login(t, "", "")
	if _, err := o.SessionByID(ctx, SessionID(cookie)); err != nil {
		t.Fatalf("SessionByID before Logout: %v", err)
	}
	if err := o.Logout(ctx, cookie); err != nil {
		t.Fatal(err)
	}
	_, err := o.Session(ctx, cookie)
	wantErr(t, "Session after Logout", err, ErrNoSession)
	_, err = o.SessionByID(ctx, SessionID(cookie))
	wantErr(t, "SessionByID after Logout", err, ErrNoSession)
	if err := o.Logout(ctx, cookie); err != nil {
		t.Fatalf("second Logout: %v", err)
	}
	if err := o.Logout(ctx, "garbage"); err != nil {
		t.Fatalf("Logout(garbage): %v", err)
	}
	if _, err := o.Session(ctx, other); err != nil {
		t.Fatalf("the other session: %v", err)
	}
}

func testSessionListAndRevoke(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o := onboarded(t, newStore(t))
	old, _ := o.login(t, "", "")
	o.clock.Advance(DefaultSessionIdle / 2)
	var cookies []string
	for _, ua := range []string{"phone", "laptop", "tablet"} {
		c, _, err := o.Login(ctx, testPass, "", ClientInfo{Addr: "192.0.2.1", UserAgent: ua})
		if err != nil {
			t.Fatal(err)
		}
		cookies = append(cookies, c)
		o.clock.Advance(time.Minute)
	}
	o.clock.Advance(DefaultSessionIdle / 2) // old expires, the others live
	list, err := o.ListSessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var uas []string
	for _, s := range list {
		uas = append(uas, s.UserAgent)
	}
	if got := strings.Join(uas, ","); got != "tablet,laptop,phone" {
		t.Fatalf("ListSessions user agents = %s, want the three live sessions", got)
	}
	_, err = o.Session(ctx, old)
	wantErr(t, "expired session", err, ErrNoSession)
	if err := o.RevokeSession(ctx, SessionID(cookies[1])); err != nil {
		t.Fatal(err)
	}
	_, err = o.Session(ctx, cookies[1])
	wantErr(t, "revoked session", err, ErrNoSession)
	wantErr(t, "RevokeSession twice", o.RevokeSession(ctx, SessionID(cookies[1])), ErrNoSession)
	wantErr(t, "RevokeSession(unknown)", o.RevokeSession(ctx, "nope"), ErrNoSession)
	if n, err := o.PurgeExpiredSessions(ctx); err != nil || n != 2 {
		t.Fatalf("PurgeExpiredSessions = %d, %v; want 2 live", n, err)
	}
}

func testSessionLongClientInfoIsClipped(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o := onboarded(t, newStore(t))
	_, info, err := o.Login(ctx, testPass, "", ClientInfo{UserAgent: strings.Repeat("é", 1000) + "\xff"})
	if err != nil || len(info.UserAgent) != maxClientField || strings.ContainsRune(info.UserAgent, '\uFFFD') {
		t.Fatalf("UserAgent clipped to %d bytes (%v)", len(info.UserAgent), err)
	}
}

func testChangePassphrase(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	const next = "a new and longer passphrase"
	o := onboarded(t, newStore(t))
	keep, _ := o.login(t, "", "")
	others := []string{}
	for range 3 {
		c, _ := o.login(t, "", "")
		others = append(others, c)
	}
	wantErr(t, "change with a wrong current passphrase", o.ChangePassphrase(ctx, "wrong passphrase", next, keep), ErrBadPassphrase)
	wantErr(t, "change to a short passphrase", o.ChangePassphrase(ctx, testPass, "short", keep), ErrInvalidPassphrase)
	if err := o.ChangePassphrase(ctx, testPass, next, keep); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Session(ctx, keep); err != nil {
		t.Fatalf("the kept session: %v", err)
	}
	for _, c := range others {
		_, err := o.Session(ctx, c)
		wantErr(t, "another session after the change", err, ErrNoSession)
	}
	_, _, err := o.Login(ctx, testPass, "", ClientInfo{})
	wantErr(t, "login with the old passphrase", err, ErrBadPassphrase)
	if _, _, err := o.Login(ctx, next, "", ClientInfo{}); err != nil {
		t.Fatalf("login with the new passphrase: %v", err)
	}
	// Without a session to keep, every session ends.
	if err := o.ChangePassphrase(ctx, next, testPass, ""); err != nil {
		t.Fatal(err)
	}
	if list, err := o.ListSessions(ctx); err != nil || len(list) != 0 {
		t.Fatalf("sessions left: %v, %v", list, err)
	}
}

func testChangePassphraseThrottled(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	o := onboarded(t, newStore(t))
	thief, _ := o.login(t, "", "")
	for range DefaultAddrPolicy().Free {
		wantErr(t, "guess", o.ChangePassphrase(ctx, "guessed passphrase", "a new and longer passphrase", thief), ErrBadPassphrase)
	}
	throttledFor(t, o.ChangePassphrase(ctx, testPass, "a new and longer passphrase", thief))
}
