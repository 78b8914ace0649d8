package embedded

import (
	"errors"
	"net/http"
)

var (
	errEmptyDSN     = errors.New("embedded: empty directory name")
	errClosed       = errors.New("embedded: database closed")
	errBadStoredDoc = errors.New("embedded: corrupt stored document")
)

// Error is an error carrying CouchDB's status, error word and reason; kivik.HTTPStatus reads
// its status, and the HTTP layer can answer {"error": Name, "reason": Reason}.
type Error struct {
	Status int    // HTTP status code
	Name   string // CouchDB error word: not_found, conflict, bad_request ...
	Reason string // CouchDB reason: missing, deleted, Document update conflict. ...
}

func (e *Error) Error() string { return e.Reason }

// HTTPStatus returns the HTTP status of the error.
func (e *Error) HTTPStatus() int { return e.Status }

func newError(status int, name, reason string) *Error {
	return &Error{Status: status, Name: name, Reason: reason}
}

func errNotFound(reason string) error { return newError(http.StatusNotFound, "not_found", reason) }

func errConflict() error {
	return newError(http.StatusConflict, "conflict", "Document update conflict.")
}

func errBadRequest(reason string) error {
	return newError(http.StatusBadRequest, "bad_request", reason)
}

func errDocValidation(reason string) error {
	return newError(http.StatusBadRequest, "doc_validation", reason)
}

func errNoDB() error { return errNotFound("Database does not exist.") }

func errNotImplemented(what string) error {
	return newError(http.StatusNotImplemented, "not_implemented", what+" is not supported by the embedded engine.")
}

// asError reports whether err is or wraps an *Error, like errors.As.
func asError(err error, target **Error) bool { return errors.As(err, target) }
