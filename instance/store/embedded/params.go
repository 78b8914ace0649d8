package embedded

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-kivik/kivik/v4/driver"
)

// params are the options of a call, keyed like CouchDB's query parameters.
type params map[string]any

func getParams(o driver.Options) params {
	p := params{}
	if o != nil {
		o.Apply(map[string]any(p))
	}
	return p
}

func (p params) has(key string) bool {
	_, ok := p[key]
	return ok
}

// bool reads a boolean given as a bool or as "true"/"false".
func (p params) bool(key string) bool {
	switch v := p[key].(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

func (p params) str(key string) string {
	switch v := p[key].(type) {
	case nil:
		return ""
	case string:
		return v
	case []string:
		if len(v) > 0 {
			return v[0]
		}
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// int reads an integer given as a number or a string; def when absent.
func (p params) int(key string, def int64) (int64, error) {
	switch v := p[key].(type) {
	case nil:
		return def, nil
	case int:
		return int64(v), nil
	case int64:
		return v, nil
	case float64:
		return int64(v), nil
	case json.Number:
		return v.Int64()
	}
	n, err := strconv.ParseInt(strings.TrimSpace(p.str(key)), 10, 64)
	if err != nil {
		return 0, errBadRequest(fmt.Sprintf("Invalid value for %s: %q", key, p.str(key)))
	}
	return n, nil
}

// jsonString reads a key option (startkey, key ...): a JSON-encoded string as in a query
// string, or a plain string.
func (p params) jsonString(keys ...string) (string, bool) {
	for _, key := range keys {
		v, ok := p[key]
		if !ok {
			continue
		}
		switch t := v.(type) {
		case string:
			var s string
			if json.Unmarshal([]byte(t), &s) == nil {
				return s, true
			}
			return t, true
		case json.RawMessage:
			var s string
			_ = json.Unmarshal(t, &s) // a non-string key matches no document id
			return s, true
		default:
			return fmt.Sprint(t), true
		}
	}
	return "", false
}

// strings reads a list option (keys, doc_ids) given as a slice or as a JSON array.
func (p params) strings(key string) ([]string, bool, error) {
	v, ok := p[key]
	if !ok {
		return nil, false, nil
	}
	switch t := v.(type) {
	case []string:
		return t, true, nil
	case []any:
		out := make([]string, 0, len(t))
		for _, x := range t {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out, true, nil
	case string:
		return decodeStrings(key, []byte(t))
	case json.RawMessage:
		return decodeStrings(key, t)
	case []byte:
		return decodeStrings(key, t)
	}
	return nil, true, errBadRequest("Invalid value for " + key)
}

func decodeStrings(key string, data []byte) ([]string, bool, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, true, errBadRequest("Invalid value for " + key + ": expected a JSON array")
	}
	out := make([]string, len(raw))
	for i, r := range raw {
		_ = json.Unmarshal(r, &out[i]) // non-string keys match no document id
	}
	return out, true, nil
}
