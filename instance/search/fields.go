package search

import (
	"reflect"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// textFields lists the document fields an index holds (not the reserved ones, such as
// _doctype): those a query without a field searches.
func textFields(idx bleve.Index) ([]string, error) {
	all, err := idx.Fields()
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, f := range all {
		if f != "" && !strings.HasPrefix(f, "_") {
			out = append(out, f)
		}
	}
	return out, nil
}

// expand rewrites q so that each of its parts without a field searches every field of fields
// instead: a document is not indexed a second time as one field of all its text, each field
// is searched on its own. Parts with a field are left as they are.
func expand(q query.Query, fields []string) query.Query {
	switch q := q.(type) {
	case *query.BooleanQuery:
		c := *q
		c.Must, c.Should, c.MustNot, c.Filter = expandOpt(q.Must, fields), expandOpt(q.Should, fields),
			expandOpt(q.MustNot, fields), expandOpt(q.Filter, fields)
		return &c
	case *query.ConjunctionQuery:
		c := *q
		c.Conjuncts = expandAll(q.Conjuncts, fields)
		return &c
	case *query.DisjunctionQuery:
		c := *q
		c.Disjuncts = expandAll(q.Disjuncts, fields)
		return &c
	case query.FieldableQuery:
		if q.Field() != "" || reflect.TypeOf(q).Kind() != reflect.Pointer {
			return q
		}
		if len(fields) == 0 {
			return query.NewMatchNoneQuery()
		}
		or := make([]query.Query, len(fields))
		for i, f := range fields {
			c := reflect.New(reflect.TypeOf(q).Elem())
			c.Elem().Set(reflect.ValueOf(q).Elem()) // a shallow copy: only the field differs
			fq := c.Interface().(query.FieldableQuery)
			fq.SetField(f)
			or[i] = fq
		}
		if len(or) == 1 {
			return or[0]
		}
		return query.NewDisjunctionQuery(or)
	}
	return q
}

func expandOpt(q query.Query, fields []string) query.Query {
	if q == nil {
		return nil
	}
	return expand(q, fields)
}

func expandAll(qs []query.Query, fields []string) []query.Query {
	out := make([]query.Query, len(qs))
	for i, q := range qs {
		out[i] = expand(q, fields)
	}
	return out
}
