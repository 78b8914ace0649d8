package mangoindex

import (
	"math"
	"regexp"
)

// parseCondition validates the argument of a condition operator the way
// CouchDB's mango_selector:norm_ops does.
func parseCondition(op string, arg any) (condition, error) {
	switch op {
	case "$lt", "$lte", "$eq", "$ne", "$gte", "$gt":
		return cmpCond{op: op, arg: arg}, nil
	case "$in", "$nin":
		args, ok := arg.([]any)
		if !ok {
			return nil, badArg(op, arg)
		}
		return inCond{not: op == "$nin", args: args}, nil
	case "$all":
		args, ok := arg.([]any)
		if !ok {
			return nil, badArg(op, arg)
		}
		return allCond(args), nil
	case "$exists":
		b, ok := arg.(bool)
		if !ok {
			return nil, badArg(op, arg)
		}
		return existsCond(b), nil
	case "$type":
		s, ok := arg.(string)
		if !ok {
			return nil, badArg(op, arg)
		}
		return typeCond(s), nil
	case "$size":
		n, ok := integer(arg)
		if !ok || n < 0 {
			return nil, badArg(op, arg)
		}
		return sizeCond(n), nil
	case "$mod":
		return parseMod(arg)
	case "$regex":
		return parseRegex(arg)
	case "$elemMatch", "$allMatch", "$keyMapMatch":
		m, ok := arg.(map[string]any)
		if !ok {
			return nil, badArg(op, arg)
		}
		sel, err := parseObject(m, "", true)
		if err != nil {
			return nil, err
		}
		return subCond{op: op, sel: sel}, nil
	case "$text", "$where", "$geoWithin", "$geoIntersects", "$near", "$nearSphere":
		return nil, badRequest("not_supported", "Unsupported operator: %s", op)
	}
	return nil, badRequest("invalid_operator", "Invalid operator: %s", op)
}

func parseMod(arg any) (condition, error) {
	a, ok := arg.([]any)
	if !ok || len(a) != 2 {
		return nil, badArg("$mod", arg)
	}
	d, okD := integer(a[0])
	r, okR := integer(a[1])
	if !okD || !okR || d == 0 {
		return nil, badArg("$mod", arg)
	}
	return modCond{div: d, rem: r}, nil
}

func parseRegex(arg any) (condition, error) {
	s, ok := arg.(string)
	if !ok {
		return nil, badArg("$regex", arg)
	}
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, badArg("$regex", arg)
	}
	return regexCond{src: s, re: re}, nil
}

// integer returns v as an int64 when it is an integral JSON number.
func integer(v any) (int64, bool) {
	f, ok := toNumber(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}
