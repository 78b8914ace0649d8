package manifest

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Version
		channel Channel
	}{
		{"0.0.0", Version{}, ChannelStable},
		{"1.2.3", Version{1, 2, 3, ""}, ChannelStable},
		{"10.20.30", Version{10, 20, 30, ""}, ChannelStable},
		{"1.0.0-beta.1", Version{1, 0, 0, "beta.1"}, ChannelBeta},
		{"1.0.0-beta.0", Version{1, 0, 0, "beta.0"}, ChannelBeta},
		{"1.0.0-beta", Version{1, 0, 0, "beta"}, ChannelDev},
		{"1.0.0-beta.1.2", Version{1, 0, 0, "beta.1.2"}, ChannelDev},
		{"1.0.0-rc.1", Version{1, 0, 0, "rc.1"}, ChannelDev},
		{"1.0.0-0a.x-y", Version{1, 0, 0, "0a.x-y"}, ChannelDev},
		{"18446744073709551615.0.0", Version{Major: 1<<64 - 1}, ChannelStable},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			v, err := ParseVersion(tt.in)
			if err != nil || v != tt.want || v.Channel() != tt.channel || v.String() != tt.in {
				t.Fatalf("got %+v %v %s %q, want %+v %s", v, err, v.Channel(), v.String(), tt.want, tt.channel)
			}
		})
	}
}

func TestParseVersionRefuses(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"", "1", "1.2", "1.2.3.4", "v1.2.3", "01.2.3", "1.02.3", "1.2.03", "1.2.3-", "1.2.3-beta..1",
		"1.2.3-beta.01", "1.2.3+build", "1.2.3-beta+build", " 1.2.3", "1.2.3 ", "-1.2.3", "1.2.x",
		"18446744073709551616.0.0", "1.2.3-" + strings.Repeat("a", 60), "1.2.3-é",
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			if v, err := ParseVersion(in); !errors.Is(err, ErrBadVersion) {
				t.Fatalf("got %+v, %v", v, err)
			}
		})
	}
}

func TestVersionOrder(t *testing.T) {
	t.Parallel()
	// In semantic-version precedence, from semver.org's examples and a few more.
	ordered := []string{
		"0.9.9", "1.0.0-0", "1.0.0-2", "1.0.0-10", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
		"1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0",
		"1.10.0", "2.0.0", "10.0.0",
	}
	vs := make([]Version, len(ordered))
	for i, s := range ordered {
		v, err := ParseVersion(s)
		if err != nil {
			t.Fatal(err)
		}
		vs[i] = v
	}
	for i := range vs {
		for j := range vs {
			if got, want := vs[i].Compare(vs[j]), cmpInt(i, j); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", vs[i], vs[j], got, want)
			}
			if vs[i].Less(vs[j]) != (i < j) {
				t.Errorf("Less(%s, %s) = %v", vs[i], vs[j], !(i < j))
			}
		}
	}
	shuffled := slices.Clone(vs)
	slices.Reverse(shuffled)
	slices.SortFunc(shuffled, Version.Compare)
	if !slices.Equal(shuffled, vs) {
		t.Fatalf("sorted %v", shuffled)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestSemVer(t *testing.T) {
	t.Parallel()
	m := validStatic()
	m.Version = "2.0.0-beta.3"
	v, err := m.SemVer()
	if err != nil || v.Channel() != ChannelBeta || v.Major != 2 {
		t.Fatalf("%+v %v", v, err)
	}
}
