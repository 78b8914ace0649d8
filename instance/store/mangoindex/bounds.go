package mangoindex

// indexPlan computes the scan of a json index: the columns fixed by $eq form
// a key prefix, the next column's range bounds the scan within it.
func (q *Query) indexPlan(ix *Index) *Plan {
	ranges, _, empty := fieldRanges(q.sel, Compare)
	p := &Plan{Index: ix, StartInclusive: true, Empty: empty}
	prefix := boundedPrefix(ix, ranges)
	p.startKey, p.endKey = explainKeys(prefix)
	cb := collators.Get().(*collatorBuf)
	defer collators.Put(cb)
	key := []byte{tagArray}
	for _, r := range prefix {
		if !r.isEq(Compare) {
			p.Start, p.End = rangeBounds(key, r, cb)
			return p
		}
		key = appendValue(key, r.lo.val, cb)
	}
	if len(prefix) > 0 {
		p.Start, p.End = key, prefixEnd(key)
	}
	return p
}

// rangeBounds bounds the keys that start with prefix followed by a value in
// r: Start inclusive, End exclusive.
func rangeBounds(prefix []byte, r keyRange, cb *collatorBuf) (start, end []byte) {
	fixed := len(prefix) > 1
	switch {
	case r.lo.set:
		start = appendValue(append([]byte{}, prefix...), r.lo.val, cb)
		if !r.lo.incl {
			start = prefixEnd(start)
		}
	case fixed:
		start = prefix
	}
	switch {
	case r.hi.set:
		end = appendValue(append([]byte{}, prefix...), r.hi.val, cb)
		if r.hi.incl {
			end = prefixEnd(end)
		}
	case fixed:
		end = prefixEnd(prefix)
	}
	return start, end
}

// explainKeys renders CouchDB's start_key and end_key for a bounded prefix.
func explainKeys(prefix []keyRange) (start, end []any) {
	start, end = []any{}, []any{}
	for _, r := range prefix {
		if !r.lo.set {
			break
		}
		start = append(start, r.lo.val)
	}
	for _, r := range prefix {
		if !r.hi.set {
			return start, append(end, maxKey)
		}
		end = append(end, r.hi.val)
	}
	return start, append(end, maxKey)
}

// allDocsPlan scans documents by docid, bounded by the selector's _id
// conditions (raw byte order; non-string bounds fall before or after every
// string docid).
func (q *Query) allDocsPlan() *Plan {
	ranges, _, empty := fieldRanges(q.sel, compareRaw)
	r := ranges["_id"]
	p := &Plan{Empty: empty, startKey: nil, endKey: maxKey}
	if r.lo.set {
		switch t := typeOf(r.lo.val); {
		case t == typeString:
			p.Start, p.StartInclusive, p.startKey = []byte(r.lo.val.(string)), r.lo.incl, r.lo.val
		case t > typeString:
			p.Empty = true
		}
	}
	if r.hi.set {
		switch t := typeOf(r.hi.val); {
		case t == typeString:
			p.End, p.EndInclusive, p.endKey = []byte(r.hi.val.(string)), r.hi.incl, r.hi.val
		case t < typeString:
			p.Empty = true
		}
	}
	return p
}
