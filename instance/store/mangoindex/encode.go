package mangoindex

import (
	"encoding/binary"
	"math"
	"sync"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// Type tags of the key encoding, in collation order. Element lists (arrays,
// object pairs) end with tagEnd, which sorts before every tag, so that a
// shorter list sorts first.
const (
	tagEnd    = 0x00
	tagPair   = 0x01
	tagNull   = 0x10
	tagFalse  = 0x20
	tagTrue   = 0x30
	tagNumber = 0x40
	tagString = 0x50
	tagArray  = 0x60
	tagObject = 0x70
	// keyMax is greater than any tag or escaped byte that can follow a
	// complete encoded value: appending it to a prefix gives a key just past
	// every key starting with that prefix.
	keyMax = 0xFF
)

// collators caches x/text collators (they are not safe for concurrent use).
var collators = sync.Pool{New: func() any { return &collatorBuf{c: collate.New(language.Und)} }}

type collatorBuf struct {
	c   *collate.Collator
	buf collate.Buffer
}

// Encode returns the order-preserving encoding of v, a JSON value (as decoded
// by encoding/json; other numeric types are accepted): for any a and b,
// bytes.Compare(Encode(a), Encode(b)) == Compare(a, b). Encodings are
// prefix-free, so concatenations preserve element-wise order.
func Encode(v any) []byte {
	cb := collators.Get().(*collatorBuf)
	defer collators.Put(cb)
	return appendValue(nil, v, cb)
}

// EncodeKey returns the encoding of the array of vals: the key of a
// multi-field index row.
func EncodeKey(vals ...any) []byte {
	if vals == nil {
		vals = []any{}
	}
	return Encode(vals)
}

func appendValue(dst []byte, v any, cb *collatorBuf) []byte {
	switch typeOf(v) {
	case typeNull:
		return append(dst, tagNull)
	case typeFalse:
		return append(dst, tagFalse)
	case typeTrue:
		return append(dst, tagTrue)
	case typeNumber:
		f, _ := toNumber(v)
		return appendNumber(append(dst, tagNumber), f)
	case typeString:
		return appendString(append(dst, tagString), v.(string), cb)
	case typeArray:
		dst = append(dst, tagArray)
		for _, e := range v.([]any) {
			dst = appendValue(dst, e, cb)
		}
		return append(dst, tagEnd)
	case typeObject:
		return appendObject(dst, v.(map[string]any), cb)
	}
	return appendValue(dst, normalize(v), cb)
}

// appendNumber writes f so that unsigned big-endian order is numeric order.
func appendNumber(dst []byte, f float64) []byte {
	bits := math.Float64bits(f)
	if f < 0 {
		bits = ^bits
	} else {
		bits |= 1 << 63
	}
	return binary.BigEndian.AppendUint64(dst, bits)
}

// appendString writes the escaped collation sort key of s, terminated.
func appendString(dst []byte, s string, cb *collatorBuf) []byte {
	key := cb.c.KeyFromString(&cb.buf, s)
	dst = appendEscaped(dst, key)
	cb.buf.Reset()
	return dst
}

// appendEscaped writes b with 0x00 escaped as 0x00 0xFF and ends it with
// 0x00 0x01, which keeps byte order and makes the result prefix-free.
func appendEscaped(dst, b []byte) []byte {
	for _, c := range b {
		if c == 0 {
			dst = append(dst, 0, 0xFF)
			continue
		}
		dst = append(dst, c)
	}
	return append(dst, 0, 1)
}

// appendObject writes the (key, value) pairs in key collation order; a key
// is its sort key then its raw bytes, matching compareKeys' tie-break.
func appendObject(dst []byte, m map[string]any, cb *collatorBuf) []byte {
	dst = append(dst, tagObject)
	for _, k := range sortedKeys(m) {
		dst = append(dst, tagPair)
		dst = appendString(dst, k, cb)
		dst = appendEscaped(dst, []byte(k))
		dst = appendValue(dst, m[k], cb)
	}
	return append(dst, tagEnd)
}

// prefixEnd returns the smallest key greater than every key that starts with
// prefix (prefix must end on a value boundary).
func prefixEnd(prefix []byte) []byte {
	out := make([]byte, len(prefix), len(prefix)+1)
	copy(out, prefix)
	return append(out, keyMax)
}
