package devices

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/hearth-cloud/hearth/instance/auth"
)

// TokenResponse is a successful answer of the token endpoint (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
	DeviceID     string `json:"device_id"`
}

// Token answers a token request (the form posted to /oauth/token): an authorization code or
// a refresh token traded for new tokens. Errors are *Error, and then nothing was issued.
func (s *Service) Token(ctx context.Context, realm Realm, form url.Values) (*TokenResponse, error) {
	switch form.Get("grant_type") {
	case "authorization_code":
		return s.exchangeCode(ctx, realm, form)
	case "refresh_token":
		return s.refresh(ctx, realm, form)
	case "":
		return nil, invalidRequest("grant_type is required")
	}
	return nil, oauthErr("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
}

// exchangeCode trades a code for the device's first tokens: once, within CodeTTL, by the
// client it was issued to, with the same redirect URI and the PKCE verifier of its challenge.
// A code used twice revokes the device (RFC 6749 §4.1.2).
func (s *Service) exchangeCode(ctx context.Context, realm Realm, form url.Values) (*TokenResponse, error) {
	client, err := s.Client(realm, form.Get("client_id"))
	if err != nil {
		return nil, err
	}
	verifier := form.Get("code_verifier")
	if verifier == "" {
		return nil, invalidRequest("code_verifier is required (PKCE)")
	}
	id, sig, ok := strings.Cut(form.Get("code"), ".")
	if !ok || len(id) != 24 {
		return nil, invalidGrant("the code is invalid")
	}
	d, err := s.get(ctx, realm.ID, id)
	if errors.Is(err, ErrNotFound) {
		return nil, invalidGrant("the code is invalid")
	}
	if err != nil {
		return nil, err
	}
	if !macOK(realm.key("code"), d.ID+"\x00"+d.Nonce, sig) {
		return nil, invalidGrant("the code is invalid")
	}
	switch {
	case d.State == StateActive:
		dctx, cancel := detached(ctx)
		defer cancel()
		if err := s.revoke(dctx, realm.ID, d.ID, "its authorization code was used twice"); err != nil {
			return nil, err
		}
		return nil, invalidGrant("the code was already used: the device it made is revoked")
	case d.State != StatePending:
		return nil, invalidGrant("the code was already used")
	case !s.now().Before(d.CodeExpires):
		return nil, invalidGrant("the code expired: codes are valid for 60 seconds")
	case d.ClientID != client.ID:
		return nil, invalidGrant("the code was issued to another client")
	case form.Get("redirect_uri") != d.RedirectURI:
		return nil, invalidGrant("redirect_uri differs from the authorization request's")
	case !verifierRE.MatchString(verifier) || !pkceOK(verifier, d.Challenge):
		return nil, invalidGrant("code_verifier does not match the code_challenge")
	}
	d.State, d.Generation, d.RedirectURI, d.Challenge = StateActive, 1, "", ""
	if err := s.put(ctx, realm.ID, d); errors.Is(err, errConflict) {
		return nil, invalidGrant("the code was already used")
	} else if err != nil {
		return nil, err
	}
	s.log().Info("devices: approved device connected", "instance", realm.ID, "device", d.ID, "name", d.Name)
	return s.issue(realm, d)
}

// refresh trades the device's current refresh token for new tokens; the one given is spent.
// A spent refresh token presented again means it leaked: the device is revoked.
func (s *Service) refresh(ctx context.Context, realm Realm, form url.Values) (*TokenResponse, error) {
	parts := strings.Split(form.Get("refresh_token"), ".")
	if len(parts) != 3 || len(parts[0]) != 24 {
		return nil, invalidGrant("the refresh token is invalid")
	}
	id := parts[0]
	gen, err := strconv.Atoi(parts[1])
	if err != nil || gen < 1 {
		return nil, invalidGrant("the refresh token is invalid")
	}
	var reused bool
	cid := form.Get("client_id")
	d, err := s.update(ctx, realm.ID, id, func(d *Device) bool {
		reused = false
		if !macOK(realm.key("refresh"), d.ID+"\x00"+d.Nonce+"\x00"+parts[1], parts[2]) || d.State != StateActive ||
			gen > d.Generation || (cid != "" && cid != d.ClientID) {
			return false
		}
		if gen < d.Generation {
			reused = true
			return false
		}
		d.Generation++
		return true
	})
	if errors.Is(err, ErrNotFound) {
		return nil, invalidGrant("the refresh token is invalid")
	}
	if err != nil {
		return nil, err
	}
	switch {
	case !macOK(realm.key("refresh"), d.ID+"\x00"+d.Nonce+"\x00"+parts[1], parts[2]):
		return nil, invalidGrant("the refresh token is invalid")
	case cid != "" && cid != d.ClientID:
		return nil, invalidGrant("the refresh token was issued to another client")
	case reused:
		dctx, cancel := detached(ctx)
		defer cancel()
		if err := s.revoke(dctx, realm.ID, d.ID, "a spent refresh token was used again"); err != nil {
			return nil, err
		}
		return nil, invalidGrant("the refresh token was already used: the device is revoked, connect it again")
	case d.State == StateRevoked:
		return nil, invalidGrant("the device was revoked: connect it again")
	case d.Generation != gen+1:
		return nil, invalidGrant("the refresh token is invalid")
	}
	return s.issue(realm, d)
}

// issue makes the access token and the refresh token of d's current generation.
func (s *Service) issue(realm Realm, d *Device) (*TokenResponse, error) {
	now := s.now()
	tok, err := auth.Issue(realm.Secret, auth.Claims{Instance: realm.ID, Scopes: d.Scopes, Issued: now.Unix(),
		Expires: now.Add(AccessTokenTTL).Unix(), Subject: SubjectPrefix + d.ID})
	if err != nil {
		return nil, err
	}
	g := strconv.Itoa(d.Generation)
	return &TokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int(AccessTokenTTL.Seconds()),
		RefreshToken: d.ID + "." + g + "." + b64.EncodeToString(mac(realm.key("refresh"), d.ID+"\x00"+d.Nonce+"\x00"+g)),
		Scope:        strings.Join(d.Scopes, " "), DeviceID: d.ID}, nil
}

func macOK(key []byte, msg, sig string) bool {
	got, err := b64.DecodeString(sig)
	return err == nil && hmac.Equal(got, mac(key, msg))
}

// pkceOK checks verifier against an S256 challenge.
func pkceOK(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(b64.EncodeToString(sum[:])), []byte(challenge)) == 1
}
