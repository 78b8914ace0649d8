package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// The app-serving phases load each server with wrk in -rounds interleaved rounds: every round
// measures every server once, back to back, so that the machine's drift from one minute to the
// next falls on all of them alike. The table gives each server's median over the rounds, and
// compares hearth with nginx by the median of the per-round comparisons, each made between two
// runs close in time.

// rotation is the order in which round i measures n servers: starting at server i mod n, so
// that no server is always first.
func rotation(i, n int) []int {
	order := make([]int, n)
	for k := range order {
		order[k] = (i + k) % n
	}
	return order
}

// series is one figure measured in every round, for each column: s[col][round].
type series [numCols][]figure

// set makes f the only figure of column col, for a server that is not measured.
func (s *series) set(col int, f figure) { s[col] = []figure{f} }

// add appends a round's figure to column col.
func (s *series) add(col int, f figure) { s[col] = append(s[col], f) }

// cells are the table's cells: each column's summary over its rounds.
func (s *series) cells() [numCols]figure {
	var c [numCols]figure
	for col, rounds := range s {
		c[col] = summary(rounds)
	}
	return c
}

// summary is the median of a column's rounds. A round without a value stands for the column
// (its error or note is shown); a round with failed requests makes the median bad and lends it
// its note.
func summary(rounds []figure) figure {
	var vs []float64
	var bad figure
	for _, f := range rounds {
		if !f.ok {
			return f
		}
		if f.bad && !bad.bad {
			bad = f
		}
		vs = append(vs, f.v)
	}
	if len(vs) == 0 {
		return figure{}
	}
	m := val(median(vs))
	if bad.bad {
		m.bad, m.note = true, bad.note
	}
	return m
}

// byRound compares columns a and c round by round with cmp (a ratio, a difference): one figure
// per round, without a value where either column has none, and their median, which has a value
// only when every round has one.
func (s *series) byRound(a, c int, cmp func(a, c float64) (float64, bool)) (per []figure, med figure) {
	n := max(len(s[a]), len(s[c]))
	var vs []float64
	for i := range n {
		var f figure
		if i < len(s[a]) && i < len(s[c]) && s[a][i].ok && s[c][i].ok {
			if v, ok := cmp(s[a][i].v, s[c][i].v); ok {
				f = val(v)
				vs = append(vs, v)
			}
		}
		per = append(per, f)
	}
	if n > 0 && len(vs) == n {
		med = val(median(vs))
	}
	return per, med
}

// div is a/c, when c is not zero.
func div(a, c float64) (float64, bool) { return a / c, c != 0 }

// sub is a − c.
func sub(a, c float64) (float64, bool) { return a - c, true }

// median of vs, not empty: the middle value, or the mean of the two middle ones.
func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// roundsNote says in the report's header how the wrk rows were measured.
func roundsNote(n int) string {
	if n == 1 {
		return "wrk rows: one round"
	}
	return fmt.Sprintf("wrk rows: median of %d interleaved rounds", n)
}

// roundsText lists a comparison's per-round values and, over more than one round, its median,
// each written by show: "0.82×, 0.91×, 0.79× (median 0.82×)"; a round without a value shows "-".
func roundsText(per []figure, med figure, show func(float64) string) string {
	vals := make([]string, len(per))
	for i, f := range per {
		vals[i] = "-"
		if f.ok {
			vals[i] = show(f.v)
		}
	}
	s := strings.Join(vals, ", ")
	if med.ok && len(per) > 1 {
		s += fmt.Sprintf(" (median %s)", show(med.v))
	}
	return s
}

// remarkByRound notes a comparison's value in each round under the table, when some round had
// one.
func (b *bench) remarkByRound(what string, per []figure, med figure, show func(float64) string) {
	if slices.ContainsFunc(per, func(f figure) bool { return f.ok }) {
		b.rep.remark("%s by round: %s", what, roundsText(per, med, show))
	}
}

// addedMs writes a latency difference in ms.
func addedMs(d float64) string { return fmt.Sprintf("%+.2f ms", d) }

// wrkRounds are the figures of a wrk load in each column and round: rate, latency, and the CPU
// time per request of some process groups.
type wrkRounds struct {
	rate, p50, p99 series
	cpu            []series // one per roundServer.cpu group, µs
}

// newWrkRounds returns the figures of a load that records the CPU time of groups process groups.
func newWrkRounds(groups int) wrkRounds { return wrkRounds{cpu: make([]series, groups)} }

// series returns every series of w.
func (w *wrkRounds) series() []*series {
	all := []*series{&w.rate, &w.p50, &w.p99}
	for i := range w.cpu {
		all = append(all, &w.cpu[i])
	}
	return all
}

// setAll makes f the only figure of column col, for a server that is not measured.
func (w *wrkRounds) setAll(col int, f figure) {
	for _, s := range w.series() {
		s.set(col, f)
	}
}

// addAll records f as a round's every figure in column col, for a round that failed.
func (w *wrkRounds) addAll(col int, f figure) {
	for _, s := range w.series() {
		s.add(col, f)
	}
}

// roundServer is one column loaded in every round.
type roundServer struct {
	col  int
	who  string
	load wrkLoad
	cpu  []int // process groups whose CPU time per request is recorded (0: n/a), as many as wrkRounds.cpu
	// profile, when not nil, starts hearth's CPU profile over the first round's measured run
	// and returns the function that waits for it.
	profile func() (done func())
}

// measureRounds runs -rounds rounds. Each round measures every server once: its warm-up, then
// its measured wrk run with the CPU time of its groups, in the order rotation gives. A server
// whose round leaves no rate (its load failed) is not measured again.
func (b *bench) measureRounds(ctx context.Context, servers []roundServer, w *wrkRounds) {
	failed := make([]bool, len(servers))
	for i := range b.cfg.rounds {
		for _, k := range rotation(i, len(servers)) {
			if failed[k] || ctx.Err() != nil {
				continue
			}
			failed[k] = !b.measureRound(ctx, servers[k], i, w)
		}
	}
}

// measureRound measures one server in round i and reports whether it got a rate.
func (b *bench) measureRound(ctx context.Context, s roundServer, i int, w *wrkRounds) bool {
	who := s.who
	if b.cfg.rounds > 1 {
		who = fmt.Sprintf("%s, round %d of %d", s.who, i+1, b.cfg.rounds)
	}
	if f, ok := b.wrkWarm(ctx, who, s.load); !ok {
		w.addAll(s.col, f)
		return false
	}
	meters := make([]*cpuMeter, len(s.cpu))
	for j, g := range s.cpu {
		meters[j] = startCPU(g)
	}
	done := func() {}
	if i == 0 && s.profile != nil {
		done = s.profile()
	}
	res, err := runWrk(ctx, s.load)
	for j, m := range meters {
		w.cpu[j].add(s.col, m.perRequest(res.requests))
	}
	done()
	rate, p50, p99 := b.wrkFigures(who, s.load, res, err)
	w.rate.add(s.col, rate)
	w.p50.add(s.col, p50)
	w.p99.add(s.col, p99)
	return rate.ok
}
