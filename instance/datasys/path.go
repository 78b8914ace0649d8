package datasys

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// target is what the path below /data/ names.
type target struct {
	doctype string
	// special is a "_xxx" endpoint of the database (_all_docs, _changes, _index...), empty for
	// the database itself and for documents.
	special string
	docID   string // document id, "_local/x" for local documents
	att     string // attachment name, may contain "/"
	rest    []string
}

// parseTarget splits the escaped path below /data/ the way CouchDB does: the first segment is the
// database, then a document id (two segments for _local/ and _design/), then an attachment name
// made of every remaining segment. Segments are unescaped one by one, so "%2F" stays in an id.
func parseTarget(escaped string) (target, *Error) {
	var t target
	segs := strings.Split(escaped, "/")
	un := make([]string, len(segs))
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil || !utf8.ValidString(u) || strings.ContainsRune(u, 0) {
			return t, badRequest("The path is not valid: bad escaping, invalid UTF-8 or NUL.")
		}
		un[i] = u
	}
	t.doctype = un[0]
	rest := un[1:]
	if len(rest) > 0 && rest[len(rest)-1] == "" && len(rest) == 1 {
		rest = nil // "/data/{doctype}/"
	}
	if len(rest) == 0 {
		return t, nil
	}
	first := rest[0]
	switch {
	case first == "_local" || first == "_design":
		if len(rest) < 2 || rest[1] == "" {
			return t, badRequest("Missing document id after %s/.", first)
		}
		t.docID = first + "/" + rest[1]
		rest = rest[2:]
	case strings.HasPrefix(first, "_local/") || strings.HasPrefix(first, "_design/"):
		t.docID = first
		rest = rest[1:]
	case strings.HasPrefix(first, "_"):
		t.special = first
		t.rest = rest[1:]
		return t, nil
	default:
		t.docID = first
		rest = rest[1:]
	}
	if len(rest) > 0 {
		t.att = strings.Join(rest, "/")
	}
	return t, nil
}
