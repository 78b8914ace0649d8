package mangoindex

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"testing"

	kcollate "github.com/go-kivik/kivik/v4/x/collate"
)

func TestEncodeOrder(t *testing.T) {
	t.Parallel()
	// Each value must sort strictly before the next one.
	ordered := []string{
		`null`, `false`, `true`,
		`-1e300`, `-2.5`, `-1`, `-0.5`, `0`, `1e-300`, `0.5`, `1`, `1.5`, `2`, `10`, `1e300`,
		`""`, `" "`, `"1"`, `"9"`, `"a"`, `"A"`, `"aa"`, `"ab"`, `"b"`, `"B"`, `"é"`, `"f"`, `"z"`, `"Ω"`, `"中"`,
		`[]`, `[null]`, `[false]`, `[1]`, `[1,null]`, `[1,2]`, `[2]`, `["a"]`, `["a",1]`, `["b"]`, `[[]]`, `[{}]`,
		`{}`, `{"a":null}`, `{"a":1}`, `{"a":1,"b":1}`, `{"a":2}`, `{"b":0}`, `{"b":0,"c":0}`,
	}
	vals := make([]any, len(ordered))
	for i, s := range ordered {
		if err := json.Unmarshal([]byte(s), &vals[i]); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	for i := 0; i+1 < len(vals); i++ {
		t.Run(ordered[i]+"<"+ordered[i+1], func(t *testing.T) {
			if got := bytes.Compare(Encode(vals[i]), Encode(vals[i+1])); got != -1 {
				t.Errorf("bytes.Compare = %d, want -1", got)
			}
			if got := Compare(vals[i], vals[i+1]); got != -1 {
				t.Errorf("Compare = %d, want -1", got)
			}
		})
	}
}

func TestEncodeEquivalents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b any
	}{
		{"negative zero", 0.0, -1 * 0.0},
		{"int and float", 3, 3.0},
		{"json.Number", json.Number("2.5"), 2.5},
		{"object key order", map[string]any{"a": 1.0, "b": 2.0}, map[string]any{"b": 2.0, "a": 1.0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !bytes.Equal(Encode(tt.a), Encode(tt.b)) {
				t.Errorf("Encode(%v) != Encode(%v)", tt.a, tt.b)
			}
			if c := Compare(tt.a, tt.b); c != 0 {
				t.Errorf("Compare = %d", c)
			}
		})
	}
}

// randomValue generates JSON values; whole=true keeps numbers integral and
// objects non-empty, avoiding two known quirks of kivik's CompareObject
// (it truncates number differences to int and mis-orders empty objects).
func randomValue(r *rand.Rand, depth int, whole bool) any {
	kinds := 7
	if depth > 2 {
		kinds = 5
	}
	switch r.Intn(kinds) {
	case 0:
		return nil
	case 1:
		return r.Intn(2) == 0
	case 2:
		if whole {
			return float64(r.Intn(21) - 10)
		}
		return float64(r.Intn(41)-20) / 4
	case 3, 4:
		return randomString(r)
	case 5:
		n := r.Intn(4)
		a := make([]any, n)
		for i := range a {
			a[i] = randomValue(r, depth+1, whole)
		}
		return a
	default:
		n := r.Intn(3)
		if whole {
			n++
		}
		m := make(map[string]any, n)
		for range n {
			m[randomString(r)] = randomValue(r, depth+1, whole)
		}
		return m
	}
}

var alphabet = []rune("aAbBzZ019 -_.éÉeèçœ中文Ωω😀\u0301")

func randomString(r *rand.Rand) string {
	n := r.Intn(5)
	rs := make([]rune, n)
	for i := range rs {
		rs[i] = alphabet[r.Intn(len(alphabet))]
	}
	return string(rs)
}

func TestEncodeMatchesKivikCollation(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		a, b := randomValue(r, 0, true), randomValue(r, 0, true)
		want := sign(kcollate.CompareObject(a, b))
		if got := bytes.Compare(Encode(a), Encode(b)); got != want {
			t.Fatalf("bytes.Compare(Encode(%#v), Encode(%#v)) = %d, kivik says %d", a, b, got, want)
		}
		if got := Compare(a, b); got != want {
			t.Fatalf("Compare(%#v, %#v) = %d, kivik says %d", a, b, got, want)
		}
	}
}

func TestEncodeMatchesCompare(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 20000; i++ {
		a, b := randomValue(r, 0, false), randomValue(r, 0, false)
		if got, want := bytes.Compare(Encode(a), Encode(b)), Compare(a, b); got != want {
			t.Fatalf("bytes.Compare(Encode(%#v), Encode(%#v)) = %d, Compare = %d", a, b, got, want)
		}
		// Composite keys: element-wise order survives concatenation.
		ka, kb := EncodeKey(a, 1.0), EncodeKey(b, 0.0)
		if got, want := bytes.Compare(ka, kb), Compare([]any{a, 1.0}, []any{b, 0.0}); got != want {
			t.Fatalf("EncodeKey order %d != %d for %#v, %#v", got, want, a, b)
		}
	}
}

func FuzzEncodeString(f *testing.F) {
	for _, s := range []string{"", "a", "A", "é", "a\x00", "\x00", "中", "😀"} {
		f.Add(s, "b")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		want := sign(kcollate.CompareString(a, b))
		if got := bytes.Compare(Encode(a), Encode(b)); got != want {
			t.Fatalf("Encode order of %q, %q = %d, CompareString = %d", a, b, got, want)
		}
		ka, kb := EncodeKey(a, "zz"), EncodeKey(b, "")
		if want == 0 {
			want = 1
		}
		if got := bytes.Compare(ka, kb); got != want {
			t.Fatalf("EncodeKey order of %q, %q = %d, want %d", a, b, got, want)
		}
	})
}

func ExampleEncodeKey() {
	fmt.Println(bytes.Compare(EncodeKey("smith", 30), EncodeKey("smith", 4.5)))
	// Output: 1
}
