package mangoindex

import "sort"

// bound is one end of a key range.
type bound struct {
	val  any
	set  bool
	incl bool
}

// keyRange is the intersection of the $eq/$gt/$gte/$lt/$lte conditions on
// one field among the selector's top-level conjuncts.
type keyRange struct {
	lo, hi bound
	empty  bool
}

// isEq reports whether the range pins the field to one value.
func (r keyRange) isEq(cmp func(a, b any) int) bool {
	return r.lo.set && r.hi.set && r.lo.incl && r.hi.incl && cmp(r.lo.val, r.hi.val) == 0
}

// narrow intersects r with one comparison.
func (r keyRange) narrow(op string, arg any, cmp func(a, b any) int) keyRange {
	switch op {
	case "$eq":
		r.lo = tighter(r.lo, bound{arg, true, true}, cmp, 1)
		r.hi = tighter(r.hi, bound{arg, true, true}, cmp, -1)
	case "$gt", "$gte":
		r.lo = tighter(r.lo, bound{arg, true, op == "$gte"}, cmp, 1)
	case "$lt", "$lte":
		r.hi = tighter(r.hi, bound{arg, true, op == "$lte"}, cmp, -1)
	}
	if r.lo.set && r.hi.set {
		c := cmp(r.lo.val, r.hi.val)
		r.empty = r.empty || c > 0 || (c == 0 && !(r.lo.incl && r.hi.incl))
	}
	return r
}

// tighter returns the more restrictive of two lower (dir=1) or upper
// (dir=-1) bounds.
func tighter(cur, b bound, cmp func(a, b any) int, dir int) bound {
	if !cur.set {
		return b
	}
	c := cmp(b.val, cur.val) * dir
	if c > 0 || (c == 0 && !b.incl) {
		return b
	}
	return cur
}

// isRangeOp reports whether a comparison can bound an index scan.
func isRangeOp(op string) bool {
	switch op {
	case "$eq", "$gt", "$gte", "$lt", "$lte":
		return true
	}
	return false
}

// conjuncts calls fn on every field node reachable through $and only.
func conjuncts(n node, fn func(*fieldNode)) {
	switch t := n.(type) {
	case andNode:
		for _, c := range t {
			conjuncts(c, fn)
		}
	case *fieldNode:
		fn(t)
	}
}

// fieldRanges returns the ranges of every indexable field (sorted by name)
// and whether one of them is empty (the selector cannot match).
func fieldRanges(sel node, cmp func(a, b any) int) (map[string]keyRange, []string, bool) {
	ranges := map[string]keyRange{}
	conjuncts(sel, func(f *fieldNode) {
		if c, ok := f.cond.(cmpCond); ok && isRangeOp(c.op) {
			ranges[f.path] = ranges[f.path].narrow(c.op, c.arg, cmp)
		}
	})
	names := make([]string, 0, len(ranges))
	empty := false
	for name, r := range ranges {
		names = append(names, name)
		empty = empty || r.empty
	}
	sort.Strings(names)
	return ranges, names, empty
}

// remainingFields removes from req the fields that sel requires to exist
// (CouchDB's has_required_fields: any condition but $exists:false, seen
// through $and, and through $or when every branch requires the field).
func remainingFields(sel node, req []string) []string {
	switch t := sel.(type) {
	case andNode:
		for _, c := range t {
			req = remainingFields(c, req)
		}
	case orNode:
		if len(t) == 0 {
			return req // an empty $or requires nothing (CouchDB would say everything)
		}
		seen := map[string]bool{}
		var out []string
		for _, c := range t {
			for _, f := range remainingFields(c, req) {
				if !seen[f] {
					seen[f] = true
					out = append(out, f)
				}
			}
		}
		return out
	case *fieldNode:
		if e, ok := t.cond.(existsCond); ok && !bool(e) {
			return req
		}
		out := make([]string, 0, len(req))
		for _, f := range req {
			if f != t.path {
				out = append(out, f)
			}
		}
		return out
	}
	return req
}

// isConstantField reports whether sel fixes field with $eq.
func isConstantField(sel node, field string) bool {
	found := false
	conjuncts(sel, func(f *fieldNode) {
		if c, ok := f.cond.(cmpCond); ok && c.op == "$eq" && f.path == field {
			found = true
		}
	})
	return found
}

// canUseSort reports whether scanning columns in order yields the sort
// order: sort must be a prefix of the columns left after dropping leading
// columns the selector fixes.
func canUseSort(cols, sortFields []string, sel node) bool {
	for len(sortFields) > 0 {
		if len(cols) == 0 {
			return false
		}
		if cols[0] == sortFields[0] {
			if len(sortFields) > len(cols) {
				return false
			}
			for i, s := range sortFields {
				if cols[i] != s {
					return false
				}
			}
			return true
		}
		if !isConstantField(sel, cols[0]) {
			return false
		}
		cols = cols[1:]
	}
	return true
}
