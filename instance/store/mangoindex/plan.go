package mangoindex

import (
	"encoding/json"
	"sort"
	"strings"
)

// Warnings CouchDB adds to _find responses.
const (
	warnNoIndex = "No matching index found, create an index to optimize query time."
)

// maxKey stands for "no upper bound" in _explain's start_key/end_key.
const maxKey = "<MAX>"

// Plan tells the driver how to run a query: which rows to scan, in which
// order, where to resume. The driver then re-checks Query.Match on every
// candidate, applies Skip and Limit, and projects with Query.Project.
type Plan struct {
	// Index is the json index to scan, in key order then docid order. Nil
	// means CouchDB's special _all_docs index: documents in docid order
	// (raw bytes), design documents skipped; Start and End are then docid
	// bytes.
	Index *Index
	// Start and End bound the scanned keys; nil means unbounded. Start <=
	// End always; Descending reverses the scan, not the bounds.
	Start, End                   []byte
	StartInclusive, EndInclusive bool
	// Descending is set when the query sorts in descending order.
	Descending bool
	// Empty is set when no document can match: return no rows.
	Empty bool
	// Warning is the "warning" member of the response ("" for none).
	Warning string
	// After and AfterID come from the query's bookmark: resume strictly
	// after the row (After, AfterID) in scan order. After is nil without a
	// bookmark.
	After   []byte
	AfterID string

	startKey, endKey any // for _explain's mrargs
}

// Plan picks the index CouchDB would pick among indexes and computes the key
// range: the usable json index (every column required by the selector or
// the sort, sort order provided) with the most selector-bounded leading
// columns, then the fewest columns, then the first by ddoc and name; else
// _all_docs with a warning. use_index is honoured when usable, otherwise it
// adds a warning (or fails when allow_fallback is false). A sort no index
// provides fails with no_usable_index.
func (q *Query) Plan(indexes []Index) (*Plan, error) {
	sortNames := fieldNames(q.Sort)
	candidates := q.usableIndexes(indexes, sortNames)
	var warnings []string
	if len(q.UseIndex) > 0 {
		picked := filterUseIndex(candidates, q.UseIndex)
		switch {
		case len(picked) > 0:
			candidates = picked
		case !q.AllowFallback:
			return nil, badRequest("no_usable_index", "The index specified with \"use_index\" is not usable for the query.")
		default:
			warnings = append(warnings, useIndexWarning(q.UseIndex))
		}
	}
	var p *Plan
	if len(candidates) == 0 {
		if !q.allDocsUsable(sortNames) {
			return nil, badRequest("no_usable_index", "No index exists for this sort, try indexing by the sort fields.")
		}
		p = q.allDocsPlan()
		warnings = append(warnings, warnNoIndex)
	} else {
		p = q.indexPlan(q.bestIndex(candidates))
	}
	p.Empty = p.Empty || q.isNoop()
	p.Descending = len(q.Sort) > 0 && q.Sort[0].Desc
	p.Warning = strings.Join(warnings, "\n")
	if q.Bookmark != "" {
		key, id, err := parseBookmark(q.Bookmark)
		if err != nil {
			return nil, err
		}
		p.After, p.AfterID = key, id
	}
	return p, nil
}

// usableIndexes returns the indexes (partial ones only when named by
// use_index) whose columns the selector or sort require and whose order
// serves the sort.
func (q *Query) usableIndexes(indexes []Index, sortNames []string) []*Index {
	var out []*Index
	for i := range indexes {
		ix := &indexes[i]
		if len(ix.PartialFilter) > 0 && len(filterUseIndex([]*Index{ix}, q.UseIndex)) == 0 {
			continue
		}
		cols := fieldNames(ix.Fields)
		var req []string
		for _, c := range cols {
			if c != "_id" && c != "_rev" && !contains(sortNames, c) {
				req = append(req, c)
			}
		}
		if len(remainingFields(q.sel, req)) == 0 && canUseSort(cols, sortNames, q.sel) {
			out = append(out, ix)
		}
	}
	return out
}

func filterUseIndex(indexes []*Index, use []string) []*Index {
	var out []*Index
	for _, ix := range indexes {
		if len(use) > 0 && ix.DDoc == use[0] && (len(use) == 1 || ix.Name == use[1]) {
			out = append(out, ix)
		}
	}
	return out
}

func useIndexWarning(use []string) string {
	name := strings.TrimPrefix(use[0], "_design/")
	if len(use) == 1 {
		return "_design/" + name + " was not used because it does not contain a valid index for this query."
	}
	return "_design/" + name + ", " + use[1] + " was not used because it is not a valid index for this query."
}

// allDocsUsable: _all_docs serves any query without sort, and a sort on
// _id when the selector bounds _id.
func (q *Query) allDocsUsable(sortNames []string) bool {
	if len(sortNames) == 0 {
		return true
	}
	_, names, _ := fieldRanges(q.sel, compareRaw)
	return contains(names, "_id") && canUseSort([]string{"_id"}, sortNames, q.sel)
}

// bestIndex ranks candidates as CouchDB's choose_best_index does.
func (q *Query) bestIndex(candidates []*Index) *Index {
	ranges, names, _ := fieldRanges(q.sel, Compare)
	diff := func(ix *Index) int { return len(names) - len(boundedPrefix(ix, ranges)) }
	sort.SliceStable(candidates, func(i, j int) bool {
		a, b := candidates[i], candidates[j]
		if da, db := diff(a), diff(b); da != db {
			return da < db
		}
		if len(a.Fields) != len(b.Fields) {
			return len(a.Fields) < len(b.Fields)
		}
		if a.DDoc != b.DDoc {
			return a.DDoc < b.DDoc
		}
		return a.Name < b.Name
	})
	return candidates[0]
}

// boundedPrefix returns the ranges of the index's leading columns that the
// selector bounds.
func boundedPrefix(ix *Index, ranges map[string]keyRange) []keyRange {
	var out []keyRange
	for _, f := range ix.Fields {
		r, ok := ranges[f.Name]
		if !ok {
			break
		}
		out = append(out, r)
	}
	return out
}

// isNoop is CouchDB's maybe_noop_range: a selector that is exactly an empty
// $and or $or returns nothing.
func (q *Query) isNoop() bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(q.Selector, &m) != nil || len(m) != 1 {
		return false
	}
	for k, v := range m {
		return (k == "$and" || k == "$or") && strings.TrimSpace(string(v)) == "[]"
	}
	return false
}
