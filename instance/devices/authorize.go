package devices

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"

	"github.com/hearth-cloud/hearth/instance/auth"
)

// AuthRequest is an authorization request that passed the checks: what the owner is asked.
type AuthRequest struct {
	Client      Client
	RedirectURI string
	Scopes      auth.Permissions // what the device asks for
	State       string
	Challenge   string // the PKCE code challenge, S256
}

// pkceRE is the form of a code challenge (S256: 43 base64url characters) and of a verifier
// (RFC 7636 §4.1: 43 to 128 unreserved characters).
var (
	challengeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	verifierRE  = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)
)

// ParseAuthorize checks an authorization request: the query of GET /oauth/authorize, or the
// same fields posted back by the consent page. An unknown client or a redirect URI it did not
// register is an error to show the owner, with a nil request: nothing may be sent to that
// URI. Any other error comes with the request, and is for the client: see ErrorURL.
func (s *Service) ParseAuthorize(realm Realm, q url.Values) (*AuthRequest, error) {
	c, err := s.Client(realm, q.Get("client_id"))
	if err != nil {
		return nil, err
	}
	redirect, ok := c.redirectURI(q.Get("redirect_uri"))
	if !ok {
		return nil, invalidRequest("redirect_uri is not one the client registered")
	}
	req := &AuthRequest{Client: c, RedirectURI: redirect, State: q.Get("state")}
	if len(req.State) > 512 {
		req.State = ""
		return req, invalidRequest("state is too long")
	}
	if q.Get("response_type") != "code" {
		return req, oauthErr("unsupported_response_type", "response_type must be code")
	}
	if m := q.Get("code_challenge_method"); m != "S256" {
		return req, invalidRequest("PKCE is required: code_challenge_method must be S256")
	}
	req.Challenge = q.Get("code_challenge")
	if !challengeRE.MatchString(req.Challenge) {
		return req, invalidRequest("code_challenge must be the base64url SHA-256 of the code verifier (43 characters)")
	}
	if req.Scopes, err = ParseScope(q.Get("scope")); err != nil {
		return req, err
	}
	return req, nil
}

// Values returns the fields that ParseAuthorize reads back to req (the consent form's).
func (r *AuthRequest) Values() url.Values {
	return url.Values{"response_type": {"code"}, "client_id": {r.Client.ID}, "redirect_uri": {r.RedirectURI},
		"scope": {FormatScope(r.Scopes)}, "state": {r.State}, "code_challenge": {r.Challenge},
		"code_challenge_method": {"S256"}}
}

// ErrorURL is where the browser goes to tell the client of err (RFC 6749 §4.1.2.1).
func (r *AuthRequest) ErrorURL(realm Realm, err error) string {
	e, ok := AsError(err)
	if !ok {
		e = oauthErr("server_error", "the instance could not handle the request")
	}
	return r.redirect(realm, url.Values{"error": {e.Code}, "error_description": {e.Description}})
}

// Deny is where the browser goes when the owner refuses.
func (r *AuthRequest) Deny(realm Realm) string {
	return r.ErrorURL(realm, oauthErr("access_denied", "the owner did not allow this device"))
}

// redirect adds params, the state and the issuer (RFC 9207) to the redirect URI.
func (r *AuthRequest) redirect(realm Realm, params url.Values) string {
	u, err := url.Parse(r.RedirectURI)
	if err != nil { // checked at registration
		return r.RedirectURI
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if r.State != "" {
		q.Set("state", r.State)
	}
	if realm.Issuer != "" {
		q.Set("iss", realm.Issuer)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Approve records the device the owner approved with granted (at most what it asked for) and
// returns where the browser goes: the redirect URI with a one-time code, valid for CodeTTL.
func (s *Service) Approve(ctx context.Context, realm Realm, r *AuthRequest, granted auth.Permissions) (string, error) {
	if len(granted) == 0 {
		return r.Deny(realm), nil
	}
	if !covers(r.Scopes, granted) {
		return "", fmt.Errorf("devices: the owner granted more than the device asked for")
	}
	now := s.now()
	d := &Device{ID: randomHex(12), Name: r.Client.Name, ClientID: r.Client.ID, Scopes: scopeStrings(granted),
		State: StatePending, Approved: now, Nonce: randomHex(16), RedirectURI: r.RedirectURI,
		Challenge: r.Challenge, CodeExpires: now.Add(CodeTTL)}
	if err := s.put(ctx, realm.ID, d); err != nil {
		return "", err
	}
	return r.redirect(realm, url.Values{"code": {d.ID + "." + b64.EncodeToString(mac(realm.key("code"), d.ID+"\x00"+d.Nonce))}}), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
