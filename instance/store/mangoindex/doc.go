// Package mangoindex is the pure-Go half of Hearth's CouchDB Mango support for
// the embedded kivik driver: an order-preserving binary encoding of JSON
// values (bytes.Compare agrees with CouchDB collation), Mango "json" index
// definitions, parsing and matching of _find selectors with CouchDB's
// semantics, query planning (index choice and key ranges), bookmarks,
// projection and the _explain body. It does no I/O: the driver stores index
// rows (index, key, docid), scans them by byte range and re-checks every
// candidate document with Query.Match.
//
// Selectors are parsed and matched here rather than with kivik's x/mango,
// whose v4.5.2 parser rejects common CouchDB selectors ({"a": {"$gt": 1,
// "$lt": 5}}, {"a": {"b": 1}}), panics on {"$elemMatch": {"field": …}}, and
// whose collation truncates number differences (20.5 > 20 is false there).
// Strings still collate exactly like kivik's x/collate.CompareString.
package mangoindex

import (
	"errors"
	"fmt"
)

// ErrBadRequest is wrapped by every error caused by a client's request; the
// HTTP layer answers 400 Bad Request.
var ErrBadRequest = errors.New("mangoindex: bad request")

// Error is a client error in CouchDB's shape: Name is the "error" member
// (e.g. "invalid_operator", "no_usable_index") and Reason the "reason" member.
// It unwraps to ErrBadRequest.
type Error struct {
	Name   string
	Reason string
}

// Error returns the package-prefixed reason.
func (e *Error) Error() string { return "mangoindex: " + e.Name + ": " + e.Reason }

// Unwrap makes errors.Is(err, ErrBadRequest) true.
func (e *Error) Unwrap() error { return ErrBadRequest }

// badRequest builds an *Error with a formatted reason.
func badRequest(name, format string, args ...any) error {
	return &Error{Name: name, Reason: fmt.Sprintf(format, args...)}
}
