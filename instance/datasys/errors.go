package datasys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	kivik "github.com/go-kivik/kivik/v4"
)

// Error is an error safe to show the client, shaped as CouchDB's: {"error": Kind, "reason": Reason}.
type Error struct {
	Status int
	Kind   string
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("datasys: %d %s: %s", e.Status, e.Kind, e.Reason) }

func errorf(status int, kind, format string, args ...any) *Error {
	return &Error{Status: status, Kind: kind, Reason: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, "bad_request", format, args...)
}

var (
	errForbidden    = errorf(http.StatusForbidden, "forbidden", "This token does not grant that on this doctype.")
	errDesignDoc    = errorf(http.StatusForbidden, "forbidden", "Design documents are managed by Hearth and cannot be read or written.")
	errMissing      = errorf(http.StatusNotFound, "not_found", "missing")
	errBadJSON      = errorf(http.StatusBadRequest, "bad_request", "invalid UTF-8 JSON")
	errNotObject    = errorf(http.StatusBadRequest, "bad_request", "Document must be a JSON object")
	errMethod       = errorf(http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed here.")
	errTooLarge     = errorf(http.StatusRequestEntityTooLarge, "too_large", "Document too large")
	errUnauthorized = errorf(http.StatusUnauthorized, "unauthorized", "A valid bearer token is required.")
)

// kindOfStatus is the CouchDB error word for a status when the backend gave none we can use.
var kindOfStatus = map[int]string{
	400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
	405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 412: "file_exists",
	413: "too_large", 415: "bad_content_type", 416: "requested_range_not_satisfiable",
	417: "expectation_failed", 501: "not_implemented",
}

// toError turns any error into what the client may see. Backend (kivik) errors keep their
// status; their message becomes the reason only for client errors, never for server errors.
func toError(ctx context.Context, log *slog.Logger, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge
	}
	if errors.Is(err, context.Canceled) {
		return errorf(499, "canceled", "request canceled")
	}
	status := kivik.HTTPStatus(err)
	if status >= 400 && status < 500 {
		kind := kindOfStatus[status]
		if kind == "" {
			kind = "bad_request"
		}
		return &Error{Status: status, Kind: kind, Reason: backendReason(err, status)}
	}
	log.ErrorContext(ctx, "datasys: backend error", "err", err, "status", status)
	if status == http.StatusNotImplemented {
		return errorf(status, "not_implemented", "Not implemented by this storage backend.")
	}
	return errorf(http.StatusInternalServerError, "internal_error", "The storage backend failed; see the runtime's log.")
}

// backendReason extracts CouchDB's reason from a kivik error message such as
// "Not Found: deleted" or "Document update conflict.".
func backendReason(err error, status int) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	switch {
	case status == http.StatusConflict:
		return "Document update conflict."
	case msg == "" || strings.EqualFold(msg, http.StatusText(status)):
		return strings.ToLower(http.StatusText(status))
	}
	return msg
}

func writeError(w http.ResponseWriter, e *Error) {
	writeJSON(w, e.Status, map[string]string{"error": e.Kind, "reason": e.Reason})
}

// writeRaw sends JSON the backend produced (and kivik already checked) as it is.
func writeRaw(w http.ResponseWriter, status int, doc json.RawMessage) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(doc, '\n'))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
