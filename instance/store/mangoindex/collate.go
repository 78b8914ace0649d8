package mangoindex

import (
	"cmp"
	"encoding/json"
	"math"
	"reflect"
	"sort"
)

// jsonType ranks JSON types in CouchDB collation order.
type jsonType int

const (
	typeNull jsonType = iota
	typeFalse
	typeTrue
	typeNumber
	typeString
	typeArray
	typeObject
	typeUnknown
)

// typeOf classifies v, a value decoded from JSON (numbers may be any Go
// numeric type or json.Number).
func typeOf(v any) jsonType {
	switch t := v.(type) {
	case nil:
		return typeNull
	case bool:
		if t {
			return typeTrue
		}
		return typeFalse
	case string:
		return typeString
	case []any:
		return typeArray
	case map[string]any:
		return typeObject
	}
	if _, ok := toNumber(v); ok {
		return typeNumber
	}
	return typeUnknown
}

// toNumber converts any Go numeric type or json.Number to float64, mapping
// -0 to 0 so that both collate (and encode) the same.
func toNumber(v any) (float64, bool) {
	var f float64
	switch t := v.(type) {
	case float64:
		f = t
	case json.Number:
		n, err := t.Float64()
		if err != nil {
			return 0, false
		}
		f = n
	default:
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			f = float64(rv.Int())
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			f = float64(rv.Uint())
		case reflect.Float32, reflect.Float64:
			f = rv.Float()
		default:
			return 0, false
		}
	}
	if f == 0 || math.IsNaN(f) {
		f = 0
	}
	return f, true
}

// normalize turns values that are not plain decoded JSON (structs, typed
// slices, json.RawMessage…) into plain JSON values by a JSON round trip.
func normalize(v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil
	}
	return out
}

// Compare returns -1, 0 or +1 as a sorts before, equal to or after b in
// CouchDB's collation: null < false < true < numbers < strings < arrays <
// objects; numbers by value, strings by Unicode collation (the same as
// kivik's x/collate.CompareString), arrays element-wise then by length,
// objects as their list of (key, value) pairs with keys in collation order.
func Compare(a, b any) int {
	ta, tb := typeOf(a), typeOf(b)
	if ta == typeUnknown {
		a = normalize(a)
		ta = typeOf(a)
	}
	if tb == typeUnknown {
		b = normalize(b)
		tb = typeOf(b)
	}
	if ta != tb {
		return cmp.Compare(ta, tb)
	}
	switch ta {
	case typeNumber:
		fa, _ := toNumber(a)
		fb, _ := toNumber(b)
		return cmp.Compare(fa, fb)
	case typeString:
		return compareStrings(a.(string), b.(string))
	case typeArray:
		return compareArrays(a.([]any), b.([]any))
	case typeObject:
		return compareObjects(a.(map[string]any), b.(map[string]any))
	}
	return 0
}

func compareArrays(a, b []any) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

func compareObjects(a, b map[string]any) int {
	ka, kb := sortedKeys(a), sortedKeys(b)
	for i := 0; i < len(ka) && i < len(kb); i++ {
		if c := compareKeys(ka[i], kb[i]); c != 0 {
			return c
		}
		if c := Compare(a[ka[i]], b[kb[i]]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(ka), len(kb))
}

// sortedKeys returns m's keys in collation order (raw byte order breaks ties
// between distinct keys that collate equal).
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return compareKeys(keys[i], keys[j]) < 0 })
	return keys
}

func compareKeys(a, b string) int {
	if a == b {
		return 0
	}
	if c := compareStrings(a, b); c != 0 {
		return c
	}
	if a < b {
		return -1
	}
	return 1
}

// compareRaw compares like CouchDB compares document IDs: strings by raw
// bytes, anything else by collation.
func compareRaw(a, b any) int {
	sa, okA := a.(string)
	sb, okB := b.(string)
	if !okA || !okB {
		return Compare(a, b)
	}
	switch {
	case sa < sb:
		return -1
	case sa > sb:
		return 1
	}
	return 0
}

// compareStrings collates like kivik's x/collate.CompareString (same
// collator settings) without its global lock.
func compareStrings(a, b string) int {
	cb := collators.Get().(*collatorBuf)
	defer collators.Put(cb)
	return sign(cb.c.CompareString(a, b))
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
