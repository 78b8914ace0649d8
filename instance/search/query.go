package search

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"regexp/syntax"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	hlhtml "github.com/blevesearch/bleve/v2/search/highlight/highlighter/html"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/hearth-cloud/hearth/instance/auth"
)

// Bounds of a search request.
const (
	MaxQueryLen  = 400    // characters of q
	DefaultLimit = 20     // hits per page unless asked otherwise
	MaxLimit     = 100    // hits per page at most
	MaxOffset    = 10_000 // hits skipped at most: deeper pages are refused
	// catchUpWait is how long a search on an index just opened waits for it to catch up.
	catchUpWait = 2 * time.Second
)

// Reader is who searches: an instance, and the doctypes they may read.
type Reader struct {
	Instance string
	Doctypes []string // the doctypes the caller may read
	All      bool     // the owner: every doctype
}

// Params is a search request.
type Params struct {
	Query   string // Bleve's query string syntax
	Doctype string // "": every readable doctype
	Limit   int    // 0: DefaultLimit
	Cursor  string // "": the first page; else the NextCursor of the previous page
}

// Hit is one document found.
type Hit struct {
	ID      string  `json:"id"`
	Doctype string  `json:"doctype"`
	Score   float64 `json:"score"`
	// Fragments are, by field, the best passages of the field: HTML, the document's text escaped
	// and the matched terms in <mark>.
	Fragments map[string][]string `json:"fragments"`
}

// Result is one page of hits.
type Result struct {
	Hits       []Hit   `json:"hits"`
	Total      uint64  `json:"total"`
	NextCursor *string `json:"next_cursor"`
}

// cursor is where a page starts, bound to the query that made it.
type cursor struct {
	Hash   string `json:"h"`
	Offset int    `json:"o"`
}

func queryHash(p Params) string {
	sum := sha256.Sum256([]byte(p.Query + "\x00" + p.Doctype))
	return hex.EncodeToString(sum[:12])
}

func (p Params) offset() (int, error) {
	if p.Cursor == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
	var c cursor
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil || c.Offset <= 0 || c.Offset > MaxOffset {
		return 0, fmt.Errorf("%w: the cursor is not one this API gave", ErrBadRequest)
	}
	if c.Hash != queryHash(p) {
		return 0, fmt.Errorf("%w: the cursor belongs to another query: send the same q and doctype as the page that gave it", ErrBadRequest)
	}
	return c.Offset, nil
}

func (p Params) next(offset int) string {
	raw, _ := json.Marshal(cursor{Hash: queryHash(p), Offset: offset})
	return base64.RawURLEncoding.EncodeToString(raw)
}

// check validates p and returns its query, its offset and the doctypes it reads (nil: all).
func (p *Params) check(rd Reader) (query.Query, int, []string, error) {
	p.Query = strings.TrimSpace(p.Query)
	switch n := utf8.RuneCountInString(p.Query); {
	case n == 0:
		return nil, 0, nil, fmt.Errorf("%w: q is required", ErrBadRequest)
	case n > MaxQueryLen:
		return nil, 0, nil, fmt.Errorf("%w: q is longer than %d characters", ErrBadRequest, MaxQueryLen)
	}
	if p.Limit == 0 {
		p.Limit = DefaultLimit
	}
	if p.Limit < 1 || p.Limit > MaxLimit {
		return nil, 0, nil, fmt.Errorf("%w: limit must be between 1 and %d", ErrBadRequest, MaxLimit)
	}
	var doctypes []string
	if !rd.All {
		doctypes = rd.Doctypes
		if doctypes == nil {
			doctypes = []string{}
		}
	}
	if p.Doctype != "" {
		if !auth.ValidDoctype(p.Doctype) {
			return nil, 0, nil, fmt.Errorf("%w: %q is not a doctype", ErrBadRequest, p.Doctype)
		}
		if !rd.All && !slices.Contains(rd.Doctypes, p.Doctype) {
			return nil, 0, nil, fmt.Errorf("%w: the token may not read %s", ErrForbidden, p.Doctype)
		}
		doctypes = []string{p.Doctype}
	}
	offset, err := p.offset()
	if err != nil {
		return nil, 0, nil, err
	}
	q, err := query.NewQueryStringQuery(p.Query).Parse()
	if err == nil {
		err = checkRegexps(q)
	}
	if err != nil {
		return nil, 0, nil, fmt.Errorf("%w: the query does not parse (%s); see the query string syntax in docs/search.md", ErrBadRequest, parseReason(err))
	}
	return q, offset, doctypes, nil
}

// parseReason is the parser's complaint, short.
func parseReason(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = cutUTF8(s, 200) + "…"
	}
	return s
}

// restrict adds the doctype filter to q, inside the query: documents of other doctypes are
// never candidates, so neither hits nor totals nor scores reveal them. The filter does not
// score: a hit scores the same whichever doctypes the caller may read.
func restrict(q query.Query, doctypes []string) query.Query {
	if doctypes == nil {
		return q
	}
	or := make([]query.Query, len(doctypes))
	for i, d := range doctypes {
		t := bleve.NewTermQuery(d)
		t.SetField(fieldDoctype)
		or[i] = t
	}
	filter := bleve.NewDisjunctionQuery(or...)
	if b, ok := q.(*query.BooleanQuery); ok && b.Filter == nil {
		c := *b
		c.Filter = filter
		return &c
	}
	return &query.BooleanQuery{Must: q, Filter: filter}
}

// Search runs p for rd on the instance's index.
func (ix *Indexer) Search(ctx context.Context, rd Reader, p Params) (*Result, error) {
	q, offset, doctypes, err := p.check(rd)
	if err != nil {
		return nil, err
	}
	out := &Result{Hits: []Hit{}}
	if doctypes != nil && len(doctypes) == 0 {
		return out, nil // nothing readable
	}
	s := ix.acquire(rd.Instance)
	if s == nil {
		return nil, ErrClosed
	}
	defer ix.release(s)
	if err := s.ensureOpen(ctx); err != nil {
		return nil, err
	}
	s.waitCaughtUp(ctx, catchUpWait)
	err = s.withIndex(ctx, func(idx bleve.Index) error {
		fields, err := textFields(idx)
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		req := bleve.NewSearchRequestOptions(restrict(expand(q, fields), doctypes), p.Limit, offset, false)
		req.Highlight = bleve.NewHighlightWithStyle(hlhtml.Name)
		req.SortBy([]string{"-_score", "_id"})
		res, err := idx.SearchInContext(ctx, req)
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		out.Total = res.Total
		for _, h := range res.Hits {
			doctype, id := splitKey(h.ID)
			frags := map[string][]string{}
			for f, list := range h.Fragments {
				if !strings.HasPrefix(f, "_") {
					for i := range list {
						list[i] = safeFragment(list[i])
					}
					frags[f] = list
				}
			}
			out.Hits = append(out.Hits, Hit{ID: id, Doctype: doctype, Score: h.Score, Fragments: frags})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if end := offset + len(out.Hits); len(out.Hits) == p.Limit && uint64(end) < out.Total && end <= MaxOffset {
		c := p.next(end)
		out.NextCursor = &c
	}
	return out, nil
}

// checkRegexps finds the regular expressions of q that do not compile: Bleve would only fail
// when searching.
func checkRegexps(q query.Query) error {
	switch q := q.(type) {
	case *query.BooleanQuery:
		for _, sub := range []query.Query{q.Must, q.Should, q.MustNot} {
			if sub != nil {
				if err := checkRegexps(sub); err != nil {
					return err
				}
			}
		}
	case *query.ConjunctionQuery:
		for _, sub := range q.Conjuncts {
			if err := checkRegexps(sub); err != nil {
				return err
			}
		}
	case *query.DisjunctionQuery:
		for _, sub := range q.Disjuncts {
			if err := checkRegexps(sub); err != nil {
				return err
			}
		}
	case *query.RegexpQuery:
		if _, err := syntax.Parse(q.Regexp, syntax.Perl); err != nil {
			return err
		}
	}
	return nil
}

// Marks around matched terms in fragments.
const (
	markOpen  = "<mark>"
	markClose = "</mark>"
)

// safeFragment makes sure a fragment is the document's text escaped, with only <mark> and
// </mark> as markup: each piece between marks is unescaped and escaped again, so that whatever
// the highlighter did, no markup of the document survives.
func safeFragment(frag string) string {
	var b strings.Builder
	for frag != "" {
		i := strings.Index(frag, markOpen)
		if i < 0 {
			b.WriteString(html.EscapeString(html.UnescapeString(frag)))
			break
		}
		b.WriteString(html.EscapeString(html.UnescapeString(frag[:i])))
		rest := frag[i+len(markOpen):]
		j := strings.Index(rest, markClose)
		if j < 0 {
			b.WriteString(html.EscapeString(html.UnescapeString(rest)))
			break
		}
		b.WriteString(markOpen + html.EscapeString(html.UnescapeString(rest[:j])) + markClose)
		frag = rest[j+len(markClose):]
	}
	return b.String()
}
