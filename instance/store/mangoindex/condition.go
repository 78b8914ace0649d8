package mangoindex

import (
	"math"
	"regexp"
)

// condition is the operator part of a field condition.
type condition interface {
	// test reports whether the (existing) value v satisfies the condition;
	// cmp is the collation (raw for _id).
	test(v any, cmp func(a, b any) int) bool
	toJSON() any
	negate() condition
}

type (
	cmpCond struct {
		op  string // $lt $lte $eq $ne $gte $gt
		arg any
	}
	inCond struct {
		not  bool // $nin
		args []any
	}
	existsCond bool
	typeCond   string
	modCond    struct{ div, rem int64 }
	regexCond  struct {
		src string
		re  *regexp.Regexp
	}
	sizeCond int
	allCond  []any
	subCond  struct {
		op  string // $elemMatch $allMatch $keyMapMatch
		sel node
	}
	notCond struct{ c condition }
)

var negatedOps = map[string]string{
	"$lt": "$gte", "$gte": "$lt", "$lte": "$gt", "$gt": "$lte", "$eq": "$ne", "$ne": "$eq",
}

func (c cmpCond) test(v any, cmp func(a, b any) int) bool {
	r := cmp(v, c.arg)
	switch c.op {
	case "$lt":
		return r < 0
	case "$lte":
		return r <= 0
	case "$eq":
		return r == 0
	case "$ne":
		return r != 0
	case "$gte":
		return r >= 0
	}
	return r > 0
}

func (c inCond) test(v any, cmp func(a, b any) int) bool {
	vals, isArray := v.([]any)
	if !isArray {
		vals = []any{v}
	}
	for _, a := range c.args {
		for _, x := range vals {
			if cmp(x, a) == 0 {
				return !c.not
			}
		}
	}
	return c.not
}

func (e existsCond) test(any, func(a, b any) int) bool { return bool(e) }

func (t typeCond) test(v any, _ func(a, b any) int) bool { return string(t) == typeName(v) }

func (m modCond) test(v any, _ func(a, b any) int) bool {
	f, ok := toNumber(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return false
	}
	return int64(f)%m.div == m.rem
}

func (r regexCond) test(v any, _ func(a, b any) int) bool {
	s, ok := v.(string)
	return ok && r.re.MatchString(s)
}

func (s sizeCond) test(v any, _ func(a, b any) int) bool {
	a, ok := v.([]any)
	return ok && len(a) == int(s)
}

func (c allCond) test(v any, cmp func(a, b any) int) bool {
	vals, ok := v.([]any)
	if !ok || len(c) == 0 {
		return false
	}
	if inner, ok := c[0].([]any); ok && len(c) == 1 && cmp(inner, vals) == 0 {
		return true
	}
	for _, a := range c {
		if !(inCond{args: []any{a}}).test(vals, cmp) {
			return false
		}
	}
	return true
}

func (s subCond) test(v any, _ func(a, b any) int) bool {
	switch s.op {
	case "$elemMatch":
		vals, _ := v.([]any)
		for _, x := range vals {
			if s.sel.match(x) {
				return true
			}
		}
		return false
	case "$allMatch":
		vals, _ := v.([]any)
		for _, x := range vals {
			if !s.sel.match(x) {
				return false
			}
		}
		return len(vals) > 0
	}
	obj, _ := v.(map[string]any)
	for k := range obj {
		if s.sel.match(k) {
			return true
		}
	}
	return false
}

func (n notCond) test(v any, cmp func(a, b any) int) bool { return !n.c.test(v, cmp) }

func (c cmpCond) toJSON() any { return map[string]any{c.op: c.arg} }
func (c inCond) toJSON() any {
	if c.not {
		return map[string]any{"$nin": c.args}
	}
	return map[string]any{"$in": c.args}
}
func (e existsCond) toJSON() any { return map[string]any{"$exists": bool(e)} }
func (t typeCond) toJSON() any   { return map[string]any{"$type": string(t)} }
func (m modCond) toJSON() any    { return map[string]any{"$mod": []int64{m.div, m.rem}} }
func (r regexCond) toJSON() any  { return map[string]any{"$regex": r.src} }
func (s sizeCond) toJSON() any   { return map[string]any{"$size": int(s)} }
func (c allCond) toJSON() any    { return map[string]any{"$all": []any(c)} }
func (s subCond) toJSON() any    { return map[string]any{s.op: s.sel.toJSON()} }
func (n notCond) toJSON() any    { return map[string]any{"$not": n.c.toJSON()} }

func (c cmpCond) negate() condition    { return cmpCond{op: negatedOps[c.op], arg: c.arg} }
func (c inCond) negate() condition     { return inCond{not: !c.not, args: c.args} }
func (e existsCond) negate() condition { return !e }
func (t typeCond) negate() condition   { return notCond{t} }
func (m modCond) negate() condition    { return notCond{m} }
func (r regexCond) negate() condition  { return notCond{r} }
func (s sizeCond) negate() condition   { return notCond{s} }
func (c allCond) negate() condition    { return notCond{c} }
func (s subCond) negate() condition    { return notCond{s} }
func (n notCond) negate() condition    { return n.c }

// typeName is the $type name of a JSON value.
func typeName(v any) string {
	switch typeOf(v) {
	case typeNull:
		return "null"
	case typeFalse, typeTrue:
		return "boolean"
	case typeNumber:
		return "number"
	case typeString:
		return "string"
	case typeArray:
		return "array"
	case typeObject:
		return "object"
	}
	return ""
}
