package datasys

import (
	"net/url"
	"strconv"

	kivik "github.com/go-kivik/kivik/v4"
)

// Query parameters by how they are passed on to kivik: booleans as bool, counts as int, keys as
// decoded JSON values (kivik's CouchDB driver encodes those itself), the rest as strings.
var (
	boolParams = map[string]bool{
		"include_docs": true, "descending": true, "inclusive_end": true, "conflicts": true,
		"deleted_conflicts": true, "revs": true, "revs_info": true, "attachments": true,
		"att_encoding_info": true, "latest": true, "local_seq": true, "meta": true,
		"update_seq": true, "new_edits": true,
	}
	intParams  = map[string]bool{"limit": true, "skip": true, "timeout": true, "heartbeat": true}
	jsonParams = map[string]bool{
		"key": true, "keys": true, "startkey": true, "start_key": true, "endkey": true,
		"end_key": true, "doc_ids": true, "atts_since": true,
	}
)

// params turns the request's query parameters named in allowed into kivik options.
func params(query url.Values, allowed ...string) (kivik.Option, error) {
	m, err := paramMap(query, allowed...)
	if err != nil {
		return nil, err
	}
	return kivik.Params(m), nil
}

// paramMap is params before it becomes an option, for handlers that add to it.
func paramMap(query url.Values, allowed ...string) (map[string]any, error) {
	out := map[string]any{}
	for _, name := range allowed {
		if !query.Has(name) {
			continue
		}
		v, err := paramValue(name, query.Get(name))
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}

func paramValue(name, raw string) (any, error) {
	switch {
	case boolParams[name]:
		switch raw {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, badRequest("Invalid boolean parameter: %q for %s", raw, name)
	case intParams[name]:
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			return nil, badRequest("Invalid value for %s: %q (want a non-negative integer)", name, raw)
		}
		return n, nil
	case jsonParams[name]:
		var v any
		if err := decodeJSON([]byte(raw), &v); err != nil {
			return nil, badRequest("Invalid JSON in the %s parameter", name)
		}
		return v, nil
	}
	return raw, nil
}
