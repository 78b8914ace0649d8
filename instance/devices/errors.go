package devices

import (
	"errors"
	"net/http"
)

// Error is an OAuth 2.0 error (RFC 6749 §5.2, RFC 7591 §3.2.2): its code and description are
// meant for the client and carry nothing internal.
type Error struct {
	Code        string // "invalid_grant", "invalid_request", …
	Description string
	Status      int // HTTP status of the JSON answer; 400 when zero
}

func (e *Error) Error() string { return "devices: " + e.Code + ": " + e.Description }

// status is the HTTP status e is answered with.
func (e *Error) status() int {
	if e.Status != 0 {
		return e.Status
	}
	return http.StatusBadRequest
}

func oauthErr(code, desc string) *Error { return &Error{Code: code, Description: desc} }

func invalidRequest(desc string) *Error { return oauthErr("invalid_request", desc) }
func invalidGrant(desc string) *Error   { return oauthErr("invalid_grant", desc) }

func invalidClient(desc string) *Error {
	return &Error{Code: "invalid_client", Description: desc, Status: http.StatusUnauthorized}
}

// AsError returns err as an *Error when it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
