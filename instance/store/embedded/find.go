package embedded

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/go-kivik/kivik/v4/driver"
	"github.com/go-kivik/kivik/v4/x/collate"
	"github.com/go-kivik/kivik/v4/x/mango"
)

const noIndexWarning = "No matching index found, create an index to optimize query time."

// findQuery is a _find request body.
type findQuery struct {
	Selector  json.RawMessage `json:"selector"`
	Fields    []string        `json:"fields"`
	Sort      []any           `json:"sort"`
	Limit     *int64          `json:"limit"`
	Skip      int64           `json:"skip"`
	Bookmark  string          `json:"bookmark"`
	Conflicts bool            `json:"conflicts"`

	sel   mango.Node
	sorts []sortField
}

type sortField struct {
	keys []string
	desc bool
}

func parseFind(query any) (*findQuery, error) {
	data, err := toJSON(query)
	if err != nil {
		return nil, err
	}
	var q findQuery
	if err := json.Unmarshal(data, &q); err != nil {
		return nil, errBadRequest("Invalid _find request: " + err.Error())
	}
	if len(q.Selector) == 0 {
		return nil, errBadRequest("Missing required key: selector")
	}
	if q.sel, err = mango.Parse(q.Selector); err != nil {
		return nil, newError(400, "invalid_selector", err.Error())
	}
	if q.sorts, err = parseSort(q.Sort); err != nil {
		return nil, err
	}
	return &q, nil
}

func parseSort(list []any) ([]sortField, error) {
	var out []sortField
	for _, s := range list {
		switch v := s.(type) {
		case string:
			out = append(out, sortField{keys: mango.SplitKeys(v)})
		case map[string]any:
			for k, dir := range v {
				out = append(out, sortField{keys: mango.SplitKeys(k), desc: dir == "desc"})
			}
		default:
			return nil, errBadRequest("Invalid sort field")
		}
	}
	return out, nil
}

func (q *findQuery) limit() int64 {
	if q.Limit == nil {
		return 25
	}
	return *q.Limit
}

// match is a document that matched a _find selector.
type match struct {
	id  string
	doc map[string]any
}

// Find runs a Mango query by scanning every live document in id order.
func (d *db) Find(ctx context.Context, query any, _ driver.Options) (driver.Rows, error) {
	var q *findQuery
	var matches []match
	err := d.use(func(h *handle) error {
		var err error
		if q, err = parseFind(query); err != nil {
			return err
		}
		matches, err = h.scanMatches(ctx, q)
		return err
	})
	if err != nil {
		return nil, err
	}
	return q.rows(matches)
}

func (h *handle) scanMatches(ctx context.Context, q *findQuery) ([]match, error) {
	rows, err := h.rdb.QueryContext(ctx, `SELECT d.id, d.rev, r.body, r.atts FROM docs d
		JOIN revs r ON r.id = d.id AND r.rev = d.rev
		WHERE d.deleted = 0 AND substr(d.id, 1, 8) != '_design/' ORDER BY d.id`)
	if err != nil {
		return nil, fmt.Errorf("embedded: find: %w", err)
	}
	defer rows.Close()
	var out []match
	r := h.renderer(ctx)
	for rows.Next() {
		var id, rev string
		var row revRow
		var atts []byte
		if err := rows.Scan(&id, &rev, &row.Body, &atts); err != nil {
			return nil, fmt.Errorf("embedded: find: %w", err)
		}
		if row.Atts, err = decodeAttMetas(atts); err != nil {
			return nil, err
		}
		body, err := r.render(id, rev, &row, nil, getOpts{})
		if err != nil {
			return nil, err
		}
		var doc map[string]any
		if err := json.Unmarshal(body, &doc); err != nil {
			return nil, fmt.Errorf("%w: %w", errBadStoredDoc, err)
		}
		if q.sel.Match(doc) {
			out = append(out, match{id: id, doc: doc})
		}
	}
	return out, rows.Err()
}

// rows sorts, pages and projects the matches.
func (q *findQuery) rows(matches []match) (driver.Rows, error) {
	if len(q.sorts) > 0 {
		sort.SliceStable(matches, func(i, j int) bool { return q.less(matches[i].doc, matches[j].doc) })
	}
	start, err := bookmarkStart(q.Bookmark)
	if err != nil {
		return nil, err
	}
	start += q.Skip
	out := &sliceRows{warning: noIndexWarning}
	end := start
	for i := start; i < int64(len(matches)) && int64(len(out.rows)) < q.limit(); i++ {
		doc, _ := json.Marshal(project(matches[i].doc, q.Fields)) // decoded JSON re-encodes
		out.rows = append(out.rows, driver.Row{ID: matches[i].id, Doc: bytes.NewReader(doc)})
		end = i + 1
	}
	out.bookmark = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(end, 10)))
	return out, nil
}

func bookmarkStart(b string) (int64, error) {
	if b == "" || b == "nil" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(b)
	if err != nil {
		return 0, newError(400, "invalid_bookmark", "Invalid bookmark value: "+b)
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || n < 0 {
		return 0, newError(400, "invalid_bookmark", "Invalid bookmark value: "+b)
	}
	return n, nil
}

func (q *findQuery) less(a, b map[string]any) bool {
	for _, s := range q.sorts {
		va, _ := lookup(a, s.keys)
		vb, _ := lookup(b, s.keys)
		c := collate.CompareObject(va, vb)
		if s.desc {
			c = -c
		}
		if c != 0 {
			return c < 0
		}
	}
	return false
}

func lookup(doc map[string]any, keys []string) (any, bool) {
	var cur any = doc
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// project keeps only fields (dotted paths) of doc; no fields keeps everything.
func project(doc map[string]any, fields []string) map[string]any {
	if len(fields) == 0 {
		return doc
	}
	out := map[string]any{}
	for _, f := range fields {
		keys := mango.SplitKeys(f)
		v, ok := lookup(doc, keys)
		if !ok {
			continue
		}
		m := out
		for _, k := range keys[:len(keys)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		m[keys[len(keys)-1]] = v
	}
	return out
}
