package devices

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// Paths of the endpoints, on the instance's origin.
const (
	AuthorizePath = "/oauth/authorize" // the owner's consent page (package home)
	TokenPath     = "/oauth/token"
	RegisterPath  = "/oauth/register"
	MetadataPath  = "/.well-known/oauth-authorization-server"
)

// maxBody bounds what the endpoints read.
const maxBody = 64 << 10

// Metadata is the authorization server's metadata (RFC 8414).
type Metadata struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	RegistrationEndpoint              string   `json:"registration_endpoint"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	AuthorizationResponseIssParameter bool     `json:"authorization_response_iss_parameter_supported"`
	ServiceDocumentation              string   `json:"service_documentation,omitempty"`
}

// MetadataOf returns the metadata of realm.
func MetadataOf(realm Realm) Metadata {
	return Metadata{
		Issuer:                            realm.Issuer,
		AuthorizationEndpoint:             realm.Issuer + AuthorizePath,
		TokenEndpoint:                     realm.Issuer + TokenPath,
		RegistrationEndpoint:              realm.Issuer + RegisterPath,
		ResponseTypesSupported:            []string{"code"},
		GrantTypesSupported:               []string{"authorization_code", "refresh_token"},
		CodeChallengeMethodsSupported:     []string{"S256"},
		TokenEndpointAuthMethodsSupported: []string{"none"},
		AuthorizationResponseIssParameter: true,
	}
}

// ServeHTTP serves the metadata, registration and token endpoints of realm. Any origin may
// call them (the clients are public: pages of other origins, native apps): no cookie is read.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request, realm Realm) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, POST")
		h.Set("Access-Control-Allow-Headers", "Content-Type, Accept")
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	switch r.URL.Path {
	case MetadataPath:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeError(w, &Error{Code: "invalid_request", Description: "use GET", Status: http.StatusMethodNotAllowed})
			return
		}
		writeJSON(w, http.StatusOK, MetadataOf(realm))
	case RegisterPath:
		s.serveRegister(w, r, realm)
	case TokenPath:
		s.serveToken(w, r, realm)
	default:
		writeError(w, &Error{Code: "invalid_request", Description: "no such endpoint", Status: http.StatusNotFound})
	}
}

func (s *Service) serveRegister(w http.ResponseWriter, r *http.Request, realm Realm) {
	if r.Method != http.MethodPost {
		writeError(w, &Error{Code: "invalid_request", Description: "use POST", Status: http.StatusMethodNotAllowed})
		return
	}
	var md ClientMetadata
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody || json.Unmarshal(body, &md) != nil {
		writeError(w, oauthErr("invalid_client_metadata", "the body must be a JSON object of client metadata, under 64 KiB"))
		return
	}
	c, err := s.Register(realm, md)
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, struct {
		Client
		GrantTypes              []string `json:"grant_types"`
		ResponseTypes           []string `json:"response_types"`
		TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	}{c, []string{"authorization_code", "refresh_token"}, []string{"code"}, "none"})
}

func (s *Service) serveToken(w http.ResponseWriter, r *http.Request, realm Realm) {
	if r.Method != http.MethodPost {
		writeError(w, &Error{Code: "invalid_request", Description: "use POST", Status: http.StatusMethodNotAllowed})
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		writeError(w, invalidRequest("the body must be application/x-www-form-urlencoded"))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		writeError(w, invalidRequest("the body is too large"))
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeError(w, invalidRequest("the body is not a form"))
		return
	}
	resp, err := s.Token(r.Context(), realm, form)
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// writeErr answers err: an *Error as it is, anything else as a server_error, logged.
func (s *Service) writeErr(w http.ResponseWriter, err error) {
	if e, ok := AsError(err); ok {
		writeError(w, e)
		return
	}
	s.log().Error("devices: request failed", "err", err)
	status := http.StatusInternalServerError
	if errors.Is(err, ErrNotFound) {
		status = http.StatusBadRequest
	}
	writeError(w, &Error{Code: "server_error", Description: "the instance could not handle the request", Status: status})
}

func writeError(w http.ResponseWriter, e *Error) {
	if e.Code == "invalid_client" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hearth"`)
	}
	writeJSON(w, e.status(), struct {
		Error       string `json:"error"`
		Description string `json:"error_description,omitempty"`
	}{e.Code, e.Description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
