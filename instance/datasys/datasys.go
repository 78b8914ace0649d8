// Package datasys serves the Data System: for each doctype of an instance, the CouchDB HTTP API
// of one database at /data/{doctype}/, checked against the caller's token on every request, and
// stored through kivik on whichever backend the runtime uses.
package datasys

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	kivik "github.com/go-kivik/kivik/v4"

	"github.com/hearth-cloud/hearth/instance/auth"
	"github.com/hearth-cloud/hearth/instance/realtime"
	"github.com/hearth-cloud/hearth/instance/store"
)

// DefaultMaxDocSize is the largest document body accepted unless configured otherwise.
const DefaultMaxDocSize = 8 << 20

// Publisher receives an event for every document written. If it also has a method
// Listening(instance string) bool, events of instances nobody listens to are not prepared.
type Publisher interface {
	Publish(ctx context.Context, instance string, ev realtime.Event) error
}

type listener interface {
	Listening(instance string) bool
}

// Service is the Data System of every instance of a runtime.
type Service struct {
	DBs    *store.DBs
	Events Publisher // nil: no events
	// Written, when set, is told of every document written (local ones excepted), whether
	// or not anyone listens to events: it must be cheap (the search indexer's Notify).
	Written    func(instance, doctype string)
	MaxDocSize int64 // 0: DefaultMaxDocSize
	Log        *slog.Logger
}

// request is one call to the Data System.
type request struct {
	s      *Service
	w      http.ResponseWriter
	r      *http.Request
	t      target
	caller *auth.Caller
}

// ServeHTTP answers a request whose path starts with /data/. The runtime has already resolved the
// instance and the token: the caller travels in the request's context.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	caller, ok := auth.CallerFrom(r.Context())
	if !ok {
		writeError(w, errUnauthorized)
		return
	}
	q := &request{s: s, w: w, r: r, caller: caller}
	if err := q.serve(); err != nil {
		writeError(w, toError(r.Context(), s.Log, err))
	}
}

func (q *request) serve() error {
	escaped := strings.TrimPrefix(q.r.URL.EscapedPath(), "/data")
	escaped = strings.TrimPrefix(escaped, "/")
	if escaped == "" {
		return q.listDoctypes()
	}
	t, perr := parseTarget(escaped)
	if perr != nil {
		return perr
	}
	q.t = t
	if !auth.ValidDoctype(t.doctype) {
		return errorf(http.StatusBadRequest, "illegal_database_name",
			"%q is not a doctype: use a lower-case reverse-DNS name such as io.hearth.notes.", t.doctype)
	}
	if strings.HasPrefix(t.docID, "_design/") || t.special == "_design_docs" {
		return errDesignDoc
	}
	if err := q.authorize(); err != nil {
		return err
	}
	return q.route()
}

// requiredVerb is the scope verb a request needs: reads (also those sent as POST) need GET, every
// other request needs its own method.
func (q *request) requiredVerb() string {
	m := q.r.Method
	if m == http.MethodHead {
		return auth.VerbGet
	}
	if m == http.MethodPost {
		switch q.t.special {
		case "_all_docs", "_bulk_get", "_revs_diff", "_changes", "_find", "_explain", "_index", "_ensure_full_commit":
			return auth.VerbGet
		}
	}
	if q.t.special == "_index" {
		return auth.VerbGet // indexes change no document
	}
	return m
}

func (q *request) authorize() error {
	if !q.caller.Perms.Allows(q.t.doctype, q.requiredVerb()) {
		return errForbidden
	}
	return nil
}

func (q *request) listDoctypes() error {
	if q.r.Method != http.MethodGet && q.r.Method != http.MethodHead {
		return errMethod
	}
	list := q.caller.Perms.Readable()
	if list == nil {
		list = []string{}
	}
	writeJSON(q.w, http.StatusOK, list)
	return nil
}

func (q *request) dbName() string { return store.DBName(q.caller.Instance, q.t.doctype) }

// openDB opens the doctype's database; for a read of a doctype never written, ok is false.
func (q *request) openDB(create bool) (*kivik.DB, bool, error) {
	return q.s.DBs.Open(q.r.Context(), q.dbName(), create)
}

// existingDB opens the doctype's database for a request about one document: in a doctype never
// written, no document exists.
func (q *request) existingDB() (*kivik.DB, error) {
	db, ok, err := q.openDB(false)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errMissing
	}
	return db, nil
}

func (q *request) maxDocSize() int64 {
	if q.s.MaxDocSize > 0 {
		return q.s.MaxDocSize
	}
	return DefaultMaxDocSize
}
