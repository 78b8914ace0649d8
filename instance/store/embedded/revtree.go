package embedded

import (
	"sort"
	"strconv"
	"strings"
)

// revsLimit is how many revisions of history each leaf keeps, like CouchDB's revs_limit.
const revsLimit = 1000

// revNode is one revision of a document's revision tree.
type revNode struct {
	Rev     string `json:"r"`
	Parent  string `json:"p,omitempty"` // empty for a root or when the parent was stemmed
	Deleted bool   `json:"d,omitempty"`
}

// revTree is the revision tree of one document, keyed by rev id.
type revTree map[string]*revNode

// parseRev splits "N-hash" into its generation and hash.
func parseRev(rev string) (gen int, hash string, ok bool) {
	i := strings.IndexByte(rev, '-')
	if i <= 0 || i == len(rev)-1 {
		return 0, "", false
	}
	n, err := strconv.Atoi(rev[:i])
	if err != nil || n < 0 {
		return 0, "", false
	}
	return n, rev[i+1:], true
}

func revGen(rev string) int {
	n, _, _ := parseRev(rev)
	return n
}

// revLess orders revs by generation, then by rev id.
func revLess(a, b string) bool {
	ga, gb := revGen(a), revGen(b)
	if ga != gb {
		return ga < gb
	}
	return a < b
}

// children maps each rev to whether some node names it as parent.
func (t revTree) parents() map[string]bool {
	p := make(map[string]bool, len(t))
	for _, n := range t {
		if n.Parent != "" {
			p[n.Parent] = true
		}
	}
	return p
}

// leaves returns the leaf nodes, best first (the winner is leaves()[0]).
func (t revTree) leaves() []*revNode {
	p := t.parents()
	var out []*revNode
	for rev, n := range t {
		if !p[rev] {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return beats(out[i], out[j]) })
	return out
}

// beats tells whether leaf a wins over leaf b as CouchDB decides: live leaves beat deleted
// ones, then the higher generation, then the greater rev id.
func beats(a, b *revNode) bool {
	if a.Deleted != b.Deleted {
		return !a.Deleted
	}
	return revLess(b.Rev, a.Rev)
}

func (t revTree) winner() *revNode {
	l := t.leaves()
	if len(l) == 0 {
		return nil
	}
	return l[0]
}

func (t revTree) isLeaf(rev string) bool {
	if _, ok := t[rev]; !ok {
		return false
	}
	for _, n := range t {
		if n.Parent == rev {
			return false
		}
	}
	return true
}

// conflicts returns the losing leaves that are deleted (deleted=true) or not.
func (t revTree) conflicts(deleted bool) []string {
	var out []string
	for i, n := range t.leaves() {
		if i > 0 && n.Deleted == deleted {
			out = append(out, n.Rev)
		}
	}
	return out
}

// history returns rev and its known ancestors, newest first.
func (t revTree) history(rev string) []string {
	var out []string
	for n := t[rev]; n != nil; n = t[n.Parent] {
		out = append(out, n.Rev)
		if n.Parent == "" {
			break
		}
	}
	return out
}

// merge inserts a path of revs (newest first, consecutive generations) whose newest rev has the
// given deleted flag. It reports whether the newest rev was new.
func (t revTree) merge(path []string, deleted bool) bool {
	if len(path) == 0 {
		return false
	}
	_, known := t[path[0]]
	for i := len(path) - 1; i >= 0; i-- {
		parent := ""
		if i+1 < len(path) {
			parent = path[i+1]
		}
		if n, ok := t[path[i]]; ok {
			if n.Parent == "" && parent != "" {
				n.Parent = parent
			}
			continue
		}
		t[path[i]] = &revNode{Rev: path[i], Parent: parent, Deleted: i == 0 && deleted}
	}
	return !known
}

// stem drops the revisions more than limit generations away from every leaf.
func (t revTree) stem(limit int) (dropped []string) {
	keep := make(map[string]bool, len(t))
	for _, leaf := range t.leaves() {
		n := leaf
		for i := 0; i < limit && n != nil; i++ {
			keep[n.Rev] = true
			n = t[n.Parent]
		}
	}
	for rev := range t {
		if !keep[rev] {
			dropped = append(dropped, rev)
			delete(t, rev)
		}
	}
	for _, n := range t {
		if _, ok := t[n.Parent]; !ok {
			n.Parent = ""
		}
	}
	return dropped
}

// revisionsPath turns CouchDB's _revisions {start, ids} into a list of full revs, newest first.
func revisionsPath(start int, ids []string) []string {
	out := make([]string, 0, len(ids))
	for i, id := range ids {
		if start-i < 1 {
			break
		}
		out = append(out, strconv.Itoa(start-i)+"-"+id)
	}
	return out
}
