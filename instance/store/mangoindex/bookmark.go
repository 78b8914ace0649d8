package mangoindex

import (
	"encoding/base64"
	"encoding/binary"
)

// Bookmark returns the opaque bookmark of a result row: the index key it was
// found at (for the _all_docs plan, the docid bytes) and its docid. A query
// sent back with it resumes strictly after that row.
func Bookmark(key []byte, docID string) string {
	buf := binary.AppendUvarint(nil, uint64(len(key)))
	buf = append(buf, key...)
	buf = append(buf, docID...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// parseBookmark decodes a Bookmark.
func parseBookmark(s string) ([]byte, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, "", errBookmark(s)
	}
	n, w := binary.Uvarint(raw)
	if w <= 0 || n > uint64(len(raw)-w) {
		return nil, "", errBookmark(s)
	}
	key := raw[w : w+int(n)]
	return key, string(raw[w+int(n):]), nil
}

func errBookmark(s string) error {
	return badRequest("invalid_bookmark", "Invalid bookmark value: %s", jsonText(s))
}
