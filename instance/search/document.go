package search

import (
	"sort"
	"strings"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	index "github.com/blevesearch/bleve_index_api"
)

// Bounds on what one document brings to the index, so that a huge or deeply nested document
// costs no more than a large ordinary one.
const (
	maxDepth     = 8         // levels of objects and arrays walked
	maxValues    = 512       // text values indexed
	maxTextBytes = 256 << 10 // bytes of text indexed; longer text is cut
)

// textValue is one string of a document: the field path ("address.city") and the positions of
// the arrays it sits in.
type textValue struct {
	path string
	pos  []uint64
	text string
}

// collector gathers the text values of one document within the bounds.
type collector struct {
	out   []textValue
	bytes int
}

// textValues returns the strings of doc to index: those under the given paths, or every string
// field when paths is empty. Fields starting with '_' (_id, _rev, _attachments…) are left out.
func textValues(doc map[string]any, paths []string) []textValue {
	c := &collector{}
	if len(paths) == 0 {
		c.object("", doc, nil, 0)
		return c.out
	}
	for _, p := range paths {
		v, ok := lookup(doc, p)
		if ok {
			c.value(p, v, nil, 0)
		}
	}
	return c.out
}

// lookup finds the value at a dotted path; arrays on the way are not entered.
func lookup(doc map[string]any, path string) (any, bool) {
	var cur any = doc
	for part := range strings.SplitSeq(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func (c *collector) full() bool { return len(c.out) >= maxValues || c.bytes >= maxTextBytes }

func (c *collector) object(prefix string, obj map[string]any, pos []uint64, depth int) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		if k != "" && k[0] != '_' {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys) // the same document always gives the same fields, whatever the budget
	for _, k := range keys {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		c.value(path, obj[k], pos, depth+1)
	}
}

func (c *collector) value(path string, v any, pos []uint64, depth int) {
	if c.full() || depth > maxDepth {
		return
	}
	switch v := v.(type) {
	case string:
		if v == "" {
			return
		}
		if room := maxTextBytes - c.bytes; len(v) > room {
			v = cutUTF8(v, room)
		}
		c.bytes += len(v)
		c.out = append(c.out, textValue{path: path, pos: pos, text: v})
	case map[string]any:
		c.object(path, v, pos, depth)
	case []any:
		for i, e := range v {
			c.value(path, e, append(pos[:len(pos):len(pos)], uint64(i)), depth+1)
		}
	}
}

// cutUTF8 cuts s to at most n bytes without splitting a character.
func cutUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// Indexing options of the documents' text: searchable, stored for the fragments, with term
// vectors to place the marks.
const textOptions = index.IndexField | index.StoreField | index.IncludeTermVectors

// newDocument builds the Bleve document of one stored document.
func newDocument(key, doctype string, values []textValue, text, keyword analysis.Analyzer) *document.Document {
	d := document.NewDocument(key)
	for _, v := range values {
		d.AddField(document.NewTextFieldCustom(v.path, v.pos, []byte(v.text), textOptions, text))
	}
	d.AddField(document.NewTextFieldCustom(fieldDoctype, nil, []byte(doctype), index.IndexField, keyword))
	return d
}

// docKey is a document's id in the index: its doctype, a slash, its id (doctypes have no slash).
func docKey(doctype, id string) string { return doctype + "/" + id }

// splitKey is docKey's inverse.
func splitKey(key string) (doctype, id string) {
	doctype, id, _ = strings.Cut(key, "/")
	return doctype, id
}
