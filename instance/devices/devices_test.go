package devices

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	kivik "github.com/go-kivik/kivik/v4"

	"github.com/hearth-cloud/hearth/instance/auth"
	"github.com/hearth-cloud/hearth/instance/store"
	_ "github.com/hearth-cloud/hearth/instance/store/embedded"
)

// clock is a settable clock for the tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newService(t *testing.T) (*Service, *clock) {
	t.Helper()
	client, err := kivik.New(store.EmbeddedDriver, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	c := &clock{now: time.Now()}
	return &Service{DB: func(id string) *kivik.DB { return client.DB("i" + id + "_devices") }, Now: c.Now}, c
}

var (
	alice = Realm{ID: "a1", Secret: []byte("alice's secret, long enough"), Issuer: "https://alice.test"}
	bob   = Realm{ID: "b2", Secret: []byte("bob's secret, long enough too"), Issuer: "https://bob.test"}
)

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-and-more"

func challenge(v string) string {
	sum := sha256.Sum256([]byte(v))
	return b64.EncodeToString(sum[:])
}

func TestRegister(t *testing.T) {
	t.Parallel()
	s, _ := newService(t)
	tests := []struct {
		name string
		md   ClientMetadata
		code string // "" for success
	}{
		{"cli loopback", ClientMetadata{ClientName: "hearth CLI", RedirectURIs: []string{"http://127.0.0.1:5000/callback"}}, ""},
		{"localhost", ClientMetadata{ClientName: "x", RedirectURIs: []string{"http://localhost/cb"}}, ""},
		{"ipv6 loopback", ClientMetadata{ClientName: "x", RedirectURIs: []string{"http://[::1]:8080/cb"}}, ""},
		{"https", ClientMetadata{ClientName: "Notes web", RedirectURIs: []string{"https://notes.example/sync.html"}}, ""},
		{"custom scheme", ClientMetadata{ClientName: "Phone", RedirectURIs: []string{"com.example.notes:/oauth"}}, ""},
		{"http elsewhere", ClientMetadata{ClientName: "x", RedirectURIs: []string{"http://evil.example/cb"}}, "invalid_redirect_uri"},
		{"fragment", ClientMetadata{ClientName: "x", RedirectURIs: []string{"https://a.example/cb#x"}}, "invalid_redirect_uri"},
		{"javascript", ClientMetadata{ClientName: "x", RedirectURIs: []string{"javascript:alert(1)"}}, "invalid_redirect_uri"},
		{"relative", ClientMetadata{ClientName: "x", RedirectURIs: []string{"/cb"}}, "invalid_redirect_uri"},
		{"credentials", ClientMetadata{ClientName: "x", RedirectURIs: []string{"https://u:p@a.example/cb"}}, "invalid_redirect_uri"},
		{"no uri", ClientMetadata{ClientName: "x"}, "invalid_redirect_uri"},
		{"no name", ClientMetadata{ClientName: " \x00 ", RedirectURIs: []string{"https://a.example/"}}, "invalid_client_metadata"},
		{"confidential", ClientMetadata{ClientName: "x", RedirectURIs: []string{"https://a.example/"}, TokenEndpointAuthMethod: "client_secret_basic"}, "invalid_client_metadata"},
		{"implicit", ClientMetadata{ClientName: "x", RedirectURIs: []string{"https://a.example/"}, ResponseTypes: []string{"token"}}, "invalid_client_metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := s.Register(alice, tt.md)
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				back, err := s.Client(alice, c.ID)
				if err != nil || back.Name != c.Name || len(back.RedirectURIs) != 1 {
					t.Fatalf("Client(%q) = %+v, %v", c.ID, back, err)
				}
				if _, err := s.Client(bob, c.ID); err == nil {
					t.Error("a client of alice is known to bob")
				}
				return
			}
			if e, ok := AsError(err); !ok || e.Code != tt.code {
				t.Fatalf("Register = %v, want %s", err, tt.code)
			}
		})
	}
	if _, err := s.Client(alice, "forged.client"); err == nil {
		t.Error("forged client id accepted")
	}
	if c, _ := s.Register(alice, ClientMetadata{ClientName: "a\u202eb\nc  " + strings.Repeat("x", 100), RedirectURIs: []string{"https://a.example/"}}); strings.ContainsAny(c.Name, "\u202e\n") || len([]rune(c.Name)) > maxClientName {
		t.Errorf("name kept as %q", c.Name)
	}
}

// authQuery is a valid authorization request of client c.
func authQuery(c Client, scope string) url.Values {
	return url.Values{"response_type": {"code"}, "client_id": {c.ID}, "redirect_uri": {c.RedirectURIs[0]},
		"scope": {scope}, "state": {"xyz"}, "code_challenge": {challenge(verifier)}, "code_challenge_method": {"S256"}}
}

func TestParseAuthorize(t *testing.T) {
	t.Parallel()
	s, _ := newService(t)
	c, err := s.Register(alice, ClientMetadata{ClientName: "cli", RedirectURIs: []string{"http://127.0.0.1:5000/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	ok := authQuery(c, "io.hearth.notes io.hearth.contacts:GET io.hearth.notes:GET")
	r, err := s.ParseAuthorize(alice, ok)
	if err != nil || FormatScope(r.Scopes) != "io.hearth.notes io.hearth.contacts:GET" {
		t.Fatalf("ParseAuthorize = %+v, %v", r, err)
	}
	// Another port of the same loopback address: allowed (RFC 8252 §7.3).
	q := authQuery(c, "io.hearth.notes")
	q.Set("redirect_uri", "http://127.0.0.1:6123/cb")
	if r, err := s.ParseAuthorize(alice, q); err != nil || r.RedirectURI != "http://127.0.0.1:6123/cb" {
		t.Errorf("another loopback port: %v", err)
	}
	tests := []struct {
		name     string
		change   func(url.Values)
		redirect bool // the error goes back to the client
		code     string
	}{
		{"unknown client", func(q url.Values) { q.Set("client_id", "x.y") }, false, "invalid_client"},
		{"wrong redirect", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:5000/other") }, false, "invalid_request"},
		{"redirect elsewhere", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }, false, "invalid_request"},
		{"no pkce", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, true, "invalid_request"},
		{"plain pkce", func(q url.Values) { q.Set("code_challenge_method", "plain") }, true, "invalid_request"},
		{"short challenge", func(q url.Values) { q.Set("code_challenge", "abc") }, true, "invalid_request"},
		{"token", func(q url.Values) { q.Set("response_type", "token") }, true, "unsupported_response_type"},
		{"no scope", func(q url.Values) { q.Del("scope") }, true, "invalid_scope"},
		{"bad scope", func(q url.Values) { q.Set("scope", "Notes") }, true, "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := authQuery(c, "io.hearth.notes")
			tt.change(q)
			r, err := s.ParseAuthorize(alice, q)
			e, ok := AsError(err)
			if !ok || e.Code != tt.code || (r != nil) != tt.redirect {
				t.Fatalf("ParseAuthorize = %+v, %v; want %s, redirect %v", r, err, tt.code, tt.redirect)
			}
			if tt.redirect {
				u, _ := url.Parse(r.ErrorURL(alice, err))
				if u.Query().Get("error") != tt.code || u.Query().Get("state") != "xyz" || u.Query().Get("iss") != alice.Issuer {
					t.Errorf("error redirect %s", u)
				}
			}
		})
	}
}

// approve runs an approval of scope granted as asked and returns the client and the code.
func approve(t *testing.T, s *Service, realm Realm, scope string) (Client, string) {
	t.Helper()
	c, err := s.Register(realm, ClientMetadata{ClientName: "laptop", RedirectURIs: []string{"http://127.0.0.1:5000/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.ParseAuthorize(realm, authQuery(c, scope))
	if err != nil {
		t.Fatal(err)
	}
	to, err := s.Approve(context.Background(), realm, r, r.Scopes)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(to)
	if u.Query().Get("state") != "xyz" || u.Query().Get("code") == "" {
		t.Fatalf("approval redirect %s", to)
	}
	return c, u.Query().Get("code")
}

func codeForm(c Client, code, v string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {c.ID},
		"redirect_uri": {c.RedirectURIs[0]}, "code_verifier": {v}}
}

func wantGrantError(t *testing.T, what string, resp *TokenResponse, err error, code string) {
	t.Helper()
	if e, ok := AsError(err); !ok || e.Code != code || resp != nil {
		t.Errorf("%s: %+v, %v; want %s and nothing issued", what, resp, err, code)
	}
}

func TestCodeExchange(t *testing.T) {
	t.Parallel()
	s, clk := newService(t)
	ctx := context.Background()
	c, code := approve(t, s, alice, "io.hearth.notes io.hearth.contacts:GET")
	other, _ := s.Register(alice, ClientMetadata{ClientName: "other", RedirectURIs: []string{"http://127.0.0.1:5000/cb"}})

	bad := []struct {
		name string
		form url.Values
		code string
	}{
		{"no verifier", func() url.Values { f := codeForm(c, code, ""); f.Del("code_verifier"); return f }(), "invalid_request"},
		{"wrong verifier", codeForm(c, code, strings.Repeat("a", 43)), "invalid_grant"},
		{"wrong redirect", func() url.Values {
			f := codeForm(c, code, verifier)
			f.Set("redirect_uri", "http://127.0.0.1:5000/x")
			return f
		}(), "invalid_grant"},
		{"another client", codeForm(other, code, verifier), "invalid_grant"},
		{"unknown client", func() url.Values { f := codeForm(c, code, verifier); f.Set("client_id", "x.y"); return f }(), "invalid_client"},
		{"forged code", codeForm(c, code[:25]+"AAAA", verifier), "invalid_grant"},
		{"code of another instance", codeForm(c, code, verifier), "invalid_client"}, // run on bob
		{"no grant type", url.Values{}, "invalid_request"},
		{"password grant", url.Values{"grant_type": {"password"}}, "unsupported_grant_type"},
	}
	for _, tt := range bad {
		realm := alice
		if strings.Contains(tt.name, "another instance") {
			realm = bob
		}
		resp, err := s.Token(ctx, realm, tt.form)
		wantGrantError(t, tt.name, resp, err, tt.code)
	}
	resp, err := s.Token(ctx, alice, codeForm(c, code, verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if resp.Scope != "io.hearth.notes io.hearth.contacts:GET" || resp.ExpiresIn != 3600 || resp.TokenType != "Bearer" {
		t.Errorf("token response %+v", resp)
	}
	claims, perms, err := auth.Verify(alice.Secret, alice.ID, resp.AccessToken, clk.Now())
	if err != nil || claims.Subject != "device:"+resp.DeviceID || !perms.Allows("io.hearth.notes", "PUT") || perms.Allows("io.hearth.contacts", "PUT") {
		t.Fatalf("access token: %+v %v %v", claims, perms, err)
	}
	if claims.Expires-claims.Issued != 3600 {
		t.Errorf("access token lives %d s", claims.Expires-claims.Issued)
	}
	if err := s.Check(ctx, alice.ID, resp.DeviceID, claims.Scopes); err != nil {
		t.Errorf("Check: %v", err)
	}
	if _, _, err := auth.Verify(bob.Secret, bob.ID, resp.AccessToken, clk.Now()); err == nil {
		t.Error("alice's device token verifies on bob")
	}

	// The code again: refused, and the device it made is revoked.
	again, err := s.Token(ctx, alice, codeForm(c, code, verifier))
	wantGrantError(t, "code used twice", again, err, "invalid_grant")
	if err := s.Check(ctx, alice.ID, resp.DeviceID, claims.Scopes); !errors.Is(err, ErrRevoked) {
		t.Errorf("Check after the code's reuse = %v", err)
	}

	// An expired code.
	c2, code2 := approve(t, s, alice, "io.hearth.notes")
	clk.add(CodeTTL + time.Second)
	late, err := s.Token(ctx, alice, codeForm(c2, code2, verifier))
	wantGrantError(t, "expired code", late, err, "invalid_grant")
	// Pending approvals are not listed; revoked devices are.
	list, err := s.List(ctx, alice.ID)
	if err != nil || len(list) != 1 || list[0].State != StateRevoked || !strings.Contains(list[0].Why, "twice") {
		t.Errorf("List = %+v, %v", list, err)
	}
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	s, _ := newService(t)
	ctx := context.Background()
	c, code := approve(t, s, alice, "io.hearth.notes")
	first, err := s.Token(ctx, alice, codeForm(c, code, verifier))
	if err != nil {
		t.Fatal(err)
	}
	refresh := func(tok string) (*TokenResponse, error) {
		return s.Token(ctx, alice, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok}, "client_id": {c.ID}})
	}
	second, err := refresh(first.RefreshToken)
	if err != nil || second.RefreshToken == first.RefreshToken || second.DeviceID != first.DeviceID {
		t.Fatalf("refresh: %+v %v", second, err)
	}
	third, err := refresh(second.RefreshToken)
	if err != nil {
		t.Fatalf("second refresh: %v", err)
	}
	for _, bad := range []string{"", "x.1.y", first.DeviceID + ".9.AAAA", first.DeviceID + ".3." + strings.Repeat("A", 43)} {
		resp, err := refresh(bad)
		wantGrantError(t, "refresh "+bad, resp, err, "invalid_grant")
	}
	if err := s.Check(ctx, alice.ID, first.DeviceID, []string{"io.hearth.notes"}); err != nil {
		t.Fatalf("forged refresh tokens revoked the device: %v", err)
	}
	resp, err := s.Token(ctx, bob, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {third.RefreshToken}})
	wantGrantError(t, "refresh on another instance", resp, err, "invalid_grant")

	// A spent refresh token again: the device is revoked, the current one dies with it.
	resp, err = refresh(first.RefreshToken)
	wantGrantError(t, "spent refresh token", resp, err, "invalid_grant")
	if err := s.Check(ctx, alice.ID, first.DeviceID, []string{"io.hearth.notes"}); !errors.Is(err, ErrRevoked) {
		t.Errorf("Check after reuse = %v", err)
	}
	resp, err = refresh(third.RefreshToken)
	wantGrantError(t, "current refresh token of a revoked device", resp, err, "invalid_grant")
}

func TestRevokeAndSeen(t *testing.T) {
	t.Parallel()
	s, clk := newService(t)
	ctx := context.Background()
	c, code := approve(t, s, alice, "io.hearth.notes:GET")
	tok, err := s.Token(ctx, alice, codeForm(c, code, verifier))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(ctx, alice.ID, tok.DeviceID, []string{"io.hearth.notes"}); err == nil {
		t.Error("Check passes a scope the owner did not grant")
	}
	s.Seen(ctx, alice.ID, tok.DeviceID)
	list, _ := s.List(ctx, alice.ID)
	if len(list) != 1 || list[0].LastSync.IsZero() || list[0].Name != "laptop" {
		t.Fatalf("after a sync: %+v", list)
	}
	first := list[0].LastSync
	clk.add(30 * time.Second)
	s.Seen(ctx, alice.ID, tok.DeviceID)
	if list, _ = s.List(ctx, alice.ID); !list[0].LastSync.Equal(first) {
		t.Error("last sync written twice within a minute")
	}
	clk.add(31 * time.Second)
	s.Seen(ctx, alice.ID, tok.DeviceID)
	if list, _ = s.List(ctx, alice.ID); !list[0].LastSync.After(first) {
		t.Error("last sync not written after a minute")
	}
	// Check trusts its cache, but a revocation made here forgets it at once.
	if err := s.Check(ctx, alice.ID, tok.DeviceID, []string{"io.hearth.notes:GET"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(ctx, alice.ID, tok.DeviceID); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(ctx, alice.ID, tok.DeviceID, []string{"io.hearth.notes:GET"}); !errors.Is(err, ErrRevoked) {
		t.Errorf("Check right after Revoke = %v", err)
	}
	if err := s.Revoke(ctx, alice.ID, "nosuchdevice0000000000000"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Revoke of an unknown device = %v", err)
	}
	if list, err := s.List(ctx, bob.ID); err != nil || len(list) != 0 {
		t.Errorf("List of an instance without devices = %v, %v", list, err)
	}
}

func TestOnRevoke(t *testing.T) {
	t.Parallel()
	s, _ := newService(t)
	var mu sync.Mutex
	var revoked []string
	s.OnRevoke = func(instanceID, id string) {
		mu.Lock()
		revoked = append(revoked, instanceID+"/"+id)
		mu.Unlock()
	}
	ctx := context.Background()
	c, code := approve(t, s, alice, "io.hearth.notes")
	owners, err := s.Token(ctx, alice, codeForm(c, code, verifier))
	if err != nil {
		t.Fatal(err)
	}
	c2, code2 := approve(t, s, alice, "io.hearth.notes")
	leaked, err := s.Token(ctx, alice, codeForm(c2, code2, verifier))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(ctx, alice.ID, owners.DeviceID); err != nil {
		t.Fatal(err)
	}
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {leaked.RefreshToken}, "client_id": {c2.ID}}
	if _, err := s.Token(ctx, alice, refresh); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(ctx, alice, refresh); err == nil { // spent: revokes the device
		t.Fatal("a spent refresh token was accepted")
	}
	if err := s.Revoke(ctx, alice.ID, "nosuchdevice0000000000000"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Revoke of an unknown device = %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{alice.ID + "/" + owners.DeviceID, alice.ID + "/" + leaked.DeviceID}
	if strings.Join(revoked, " ") != strings.Join(want, " ") {
		t.Errorf("OnRevoke calls %v, want %v", revoked, want)
	}
}
