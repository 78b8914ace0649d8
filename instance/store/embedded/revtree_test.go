package embedded

import (
	"fmt"
	"slices"
	"testing"
)

func chain(t revTree, revs ...string) {
	slices.Reverse(revs)
	t.merge(revs, false)
}

func TestRevTreeWinnerAndConflicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		build         func(revTree)
		winner        string
		conflicts     []string
		deletedConfls []string
	}{
		{"single path", func(t revTree) { chain(t, "1-a", "2-b", "3-c") }, "3-c", nil, nil},
		{"higher generation wins", func(t revTree) {
			chain(t, "1-a", "2-b", "3-c")
			chain(t, "1-a", "2-z")
		}, "3-c", []string{"2-z"}, nil},
		{"same generation: greater rev id wins", func(t revTree) {
			chain(t, "1-a", "2-b")
			chain(t, "1-a", "2-c")
		}, "2-c", []string{"2-b"}, nil},
		{"live leaf beats deleted higher leaf", func(t revTree) {
			chain(t, "1-a", "2-b")
			t.merge([]string{"3-d", "2-c", "1-a"}, true)
		}, "2-b", nil, []string{"3-d"}},
		{"all deleted: highest wins", func(t revTree) {
			t.merge([]string{"2-b", "1-a"}, true)
			t.merge([]string{"2-c", "1-a"}, true)
		}, "2-c", nil, []string{"2-b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree := revTree{}
			tt.build(tree)
			if w := tree.winner().Rev; w != tt.winner {
				t.Errorf("winner = %s, want %s", w, tt.winner)
			}
			if c := tree.conflicts(false); !slices.Equal(c, tt.conflicts) {
				t.Errorf("conflicts = %v, want %v", c, tt.conflicts)
			}
			if c := tree.conflicts(true); !slices.Equal(c, tt.deletedConfls) {
				t.Errorf("deleted conflicts = %v, want %v", c, tt.deletedConfls)
			}
		})
	}
}

func TestRevTreeMerge(t *testing.T) {
	t.Parallel()
	tree := revTree{}
	if !tree.merge([]string{"3-c", "2-b"}, false) {
		t.Fatal("new path reported as known")
	}
	if tree["2-b"].Parent != "" {
		t.Fatal("stemmed root has a parent")
	}
	if tree.merge([]string{"3-c"}, false) {
		t.Fatal("known rev reported as new")
	}
	tree.merge([]string{"2-b", "1-a"}, false) // learning the older history joins it
	if tree["2-b"].Parent != "1-a" || !slices.Equal(tree.history("3-c"), []string{"3-c", "2-b", "1-a"}) {
		t.Fatalf("history = %v", tree.history("3-c"))
	}
	encoded := tree.encode()
	back, err := decodeTree(encoded)
	if err != nil || len(back) != 3 || back["3-c"].Parent != "2-b" {
		t.Fatalf("round trip = %v, %v", back, err)
	}
}

func TestRevTreeStem(t *testing.T) {
	t.Parallel()
	tree := revTree{}
	var path []string
	for i := 1500; i >= 1; i-- {
		path = append(path, fmt.Sprintf("%d-x", i))
	}
	tree.merge(path, false)
	tree.merge([]string{"11-y", "10-x"}, false) // an old branch keeps its own history
	dropped := tree.stem(revsLimit)
	if len(tree) != revsLimit+11 || len(dropped) != 1500-revsLimit-10 {
		t.Fatalf("kept %d, dropped %d", len(tree), len(dropped))
	}
	if h := tree.history("1500-x"); len(h) != revsLimit || tree["501-x"].Parent != "" {
		t.Fatalf("history of the long branch has %d revs", len(h))
	}
	if tree.winner().Rev != "1500-x" || !slices.Equal(tree.conflicts(false), []string{"11-y"}) {
		t.Fatalf("winner %s conflicts %v", tree.winner().Rev, tree.conflicts(false))
	}
}

func TestParseRev(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rev string
		ok  bool
	}{{"1-abc", true}, {"12-x", true}, {"abc", false}, {"-x", false}, {"1-", false}, {"x-1", false}} {
		if _, _, ok := parseRev(tt.rev); ok != tt.ok {
			t.Errorf("parseRev(%q) ok = %v", tt.rev, ok)
		}
	}
}

func TestRevTreeCodec(t *testing.T) {
	t.Parallel()
	tree := revTree{}
	chain(tree, "1-a", "2-b", "3-c")
	tree.merge([]string{"3-d", "2-b"}, true)
	tree.merge([]string{"7-x", "6-y"}, false) // a stemmed branch: 6-y has no parent
	back, err := decodeTree(tree.encode())
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(tree) {
		t.Fatalf("%d nodes back, want %d", len(back), len(tree))
	}
	for rev, n := range tree {
		if *back[rev] != *n {
			t.Errorf("%s = %+v, want %+v", rev, *back[rev], *n)
		}
	}
	legacy, err := decodeTree([]byte(`[{"r":"1-a"},{"r":"2-b","p":"1-a","d":true}]`))
	if err != nil || legacy["2-b"].Parent != "1-a" || !legacy["2-b"].Deleted {
		t.Fatalf("legacy tree = %v, %v", legacy, err)
	}
	for _, bad := range [][]byte{nil, {9}, {treeFormat, 5}, {treeFormat, 1, 3, 'a'}} {
		if _, err := decodeTree(bad); err == nil {
			t.Errorf("decodeTree(%v) accepted", bad)
		}
	}
}
