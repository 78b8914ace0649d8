package controller

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// nodeInfo is the Node.js binary and its version, read once.
type nodeInfo struct {
	bin     string
	once    sync.Once
	version [3]int
	err     error
}

// get returns the version of Node.js.
func (n *nodeInfo) get() ([3]int, error) {
	n.once.Do(func() {
		if n.bin == "" {
			n.err = ErrNodeMissing
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, n.bin, "--version").Output()
		if err != nil {
			n.err = fmt.Errorf("%w: %s --version: %v", ErrNodeMissing, n.bin, err)
			return
		}
		v, ok := parseVersion(strings.TrimPrefix(strings.TrimSpace(string(out)), "v"))
		if !ok || v.wild >= 0 {
			n.err = fmt.Errorf("controller: %s --version printed %q", n.bin, out)
			return
		}
		n.version = v.v
	})
	return n.version, n.err
}

// checkNodeVersion returns an error, for the owner to read, when Node.js does not satisfy
// the app's range. A range it cannot read lets the app run: manifest validation already
// limits its characters.
func (c *Controller) checkNodeVersion(rng string) error {
	v, err := c.node.get()
	if err != nil {
		return err
	}
	ok, err := satisfies(v, rng)
	if err != nil {
		c.log.Warn("controller: node_version not understood; ignoring it", "range", rng, "err", err)
		return nil
	}
	if !ok {
		return fmt.Errorf("%w: the app needs Node.js %s, this server has %d.%d.%d", ErrBuild, rng, v[0], v[1], v[2])
	}
	return nil
}

// partial is a version whose parts from index wild on are wildcards (wild < 0: none).
type partial struct {
	v    [3]int
	wild int
}

func parseVersion(s string) (partial, bool) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "v"), "=")
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i] // pre-release and build metadata are ignored
	}
	p := partial{wild: -1}
	parts := strings.Split(s, ".")
	if len(parts) > 3 || s == "" {
		return p, false
	}
	for i := range 3 {
		if i >= len(parts) || parts[i] == "x" || parts[i] == "X" || parts[i] == "*" {
			p.wild = i
			return p, true
		}
		n, err := strconv.Atoi(parts[i])
		if err != nil || n < 0 {
			return p, false
		}
		p.v[i] = n
	}
	return p, true
}

// satisfies reports whether v is in the npm-style range rng: comparator sets separated by
// ||, each a list of comparators (>=, <=, >, <, =, ^, ~, x-ranges) or a hyphen range.
func satisfies(v [3]int, rng string) (bool, error) {
	for set := range strings.SplitSeq(rng, "||") {
		ok, err := satisfiesSet(v, strings.Fields(set))
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

func satisfiesSet(v [3]int, tokens []string) (bool, error) {
	if len(tokens) == 3 && tokens[1] == "-" {
		return satisfiesSet(v, []string{">=" + tokens[0], "<=" + tokens[2]})
	}
	for i := 0; i < len(tokens); i++ {
		t := tokens[i]
		if strings.Trim(t, "<>=^~") == "" && i+1 < len(tokens) { // an operator apart: ">= 18"
			i++
			t += tokens[i]
		}
		ok, err := satisfiesOne(v, t)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func satisfiesOne(v [3]int, t string) (bool, error) {
	op := t[:len(t)-len(strings.TrimLeft(t, "<>=^~"))]
	p, ok := parseVersion(t[len(op):])
	if !ok {
		return false, errors.New("not a version: " + t)
	}
	lo, hi := p.v, upper(p) // [lo, hi) is what a partial version covers; hi zero: no bound
	switch op {
	case "", "=":
		return cmpV(v, lo) >= 0 && below(v, hi), nil
	case ">=":
		return cmpV(v, lo) >= 0, nil
	case ">":
		if p.wild >= 0 {
			return hi != [3]int{} && cmpV(v, hi) >= 0, nil
		}
		return cmpV(v, lo) > 0, nil
	case "<":
		return cmpV(v, lo) < 0, nil
	case "<=":
		if p.wild >= 0 {
			return below(v, hi), nil
		}
		return cmpV(v, lo) <= 0, nil
	case "~": // ~1.2.3 and ~1.2: the minor may not change; ~1: the major may not
		w := 2
		if p.wild == 0 || p.wild == 1 {
			w = p.wild
		}
		return cmpV(v, lo) >= 0 && below(v, upper(partial{v: lo, wild: w})), nil
	case "^":
		first := 0 // the first non-zero part, which may not change
		for first < 2 && (p.wild < 0 || first < p.wild) && lo[first] == 0 {
			first++
		}
		if p.wild >= 0 && p.wild <= first {
			return cmpV(v, lo) >= 0 && below(v, hi), nil
		}
		return cmpV(v, lo) >= 0 && below(v, upper(partial{v: lo, wild: first + 1})), nil
	}
	return false, errors.New("not an operator: " + op)
}

// upper is the first version above what p covers: 18 → 19.0.0, 18.2 → 18.3.0; zero when p
// covers everything or is exact.
func upper(p partial) [3]int {
	if p.wild <= 0 {
		return [3]int{}
	}
	var u [3]int
	copy(u[:], p.v[:p.wild])
	u[p.wild-1]++
	return u
}

func below(v, hi [3]int) bool { return hi == [3]int{} || cmpV(v, hi) < 0 }

func cmpV(a, b [3]int) int {
	for i := range 3 {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}
