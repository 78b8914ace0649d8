package search

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// ServeAPI answers GET /search?q=…&doctype=…&limit=…&cursor=… for rd with a page of hits as
// JSON; errors are {"error": …, "reason": …} as the Data System's.
func (ix *Indexer) ServeAPI(w http.ResponseWriter, r *http.Request, rd Reader) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeJSON(w, http.StatusMethodNotAllowed, apiError{"method_not_allowed", "Only GET is allowed."})
		return
	}
	p, err := ParamsFrom(r)
	var res *Result
	if err == nil {
		res, err = ix.Search(r.Context(), rd, p)
	}
	if err != nil {
		status, body := errorBody(err)
		if status == http.StatusInternalServerError {
			ix.cfg.Log.ErrorContext(r.Context(), "search: request failed", "instance", rd.Instance, "err", err)
		}
		writeJSON(w, status, body)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// ParamsFrom reads a search request's parameters from its URL.
func ParamsFrom(r *http.Request) (Params, error) {
	v := r.URL.Query()
	p := Params{Query: v.Get("q"), Doctype: v.Get("doctype"), Cursor: v.Get("cursor")}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return p, fmt.Errorf("%w: limit must be a number", ErrBadRequest)
		}
		if n == 0 {
			n = -1 // explicit 0 is out of range, not the default
		}
		p.Limit = n
	}
	return p, nil
}

type apiError struct {
	Error  string `json:"error"`
	Reason string `json:"reason"`
}

// errorBody maps an error of Search to a status and a body safe to show.
func errorBody(err error) (int, apiError) {
	switch {
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest, apiError{"bad_request", Reason(err)}
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden, apiError{"forbidden", Reason(err)}
	case errors.Is(err, ErrClosed):
		return http.StatusServiceUnavailable, apiError{"unavailable", "Search is shutting down."}
	}
	return http.StatusInternalServerError, apiError{"internal_error", "Search failed; the runtime's log has the details."}
}

// Reason is the message of an ErrBadRequest or ErrForbidden error, as a sentence for the
// caller.
func Reason(err error) string {
	s := err.Error()
	for _, p := range []string{ErrBadRequest.Error(), ErrForbidden.Error()} {
		s = strings.TrimPrefix(s, p)
	}
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), ":"))
	if s == "" {
		return "Bad request."
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal_error","reason":"encoding failed"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
