package controller

import "testing"

func TestSatisfies(t *testing.T) {
	t.Parallel()
	v := [3]int{20, 11, 1}
	for _, tc := range []struct {
		rng  string
		want bool
	}{
		{"", true}, {"*", true}, {"x", true}, {">=18", true}, {">= 18", true}, {">=21", false},
		{">18", true}, {">20", false}, {">20.10", true}, {">20.11", false}, {"<21", true}, {"<20", false},
		{"<=20", true}, {"<=19", false}, {"<=20.11.0", false}, {"20", true}, {"20.x", true}, {"20.11.x", true},
		{"=20.11.1", true}, {"20.12", false}, {"^20.1.0", true}, {"^20.12.0", false}, {"^18", false},
		{"~20.11.0", true}, {"~20.10.0", false}, {"~20", true}, {"^0.2.0", false},
		{">=18 <20", false}, {">=18 <21", true}, {"18 || 20", true}, {"16 || 18", false},
		{"18 - 20", true}, {"18 - 20.10", false}, {"v20.11.1", true},
	} {
		got, err := satisfies(v, tc.rng)
		if err != nil || got != tc.want {
			t.Errorf("20.11.1 in %q: %v, %v; want %v", tc.rng, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		v    [3]int
		rng  string
		want bool
	}{
		{[3]int{0, 2, 5}, "^0.2.3", true}, {[3]int{0, 3, 0}, "^0.2.3", false},
		{[3]int{0, 0, 3}, "^0.0.3", true}, {[3]int{0, 0, 4}, "^0.0.3", false}, {[3]int{0, 9, 0}, "^0.x", true},
	} {
		if got, err := satisfies(tc.v, tc.rng); err != nil || got != tc.want {
			t.Errorf("%v in %q: %v, %v; want %v", tc.v, tc.rng, got, err, tc.want)
		}
	}
	if _, err := satisfies(v, ">=banana"); err == nil {
		t.Error("a range of fruit is not an error")
	}
}
