package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Columns of the table: the three targets.
const (
	colEmbedded = iota
	colCouch
	colPouch
	numCols
)

var colNames = [numCols]string{"hearth embedded", "hearth couchdb", "pouchdb-server"}

// serveCols are the columns of the app-serving rows: hearth serving an app, the app's own
// server alone when it has one (node apps), and nginx serving or proxying the same thing.
var serveCols = [numCols]string{"hearth", "direct", "nginx"}

// figure is one measured value, or why there is none.
type figure struct {
	v    float64
	ok   bool
	bad  bool   // some operations failed: the value cannot pass a target
	note string // shown after the value, or alone when there is no value
}

// val is a measured value.
func val(v float64) figure { return figure{v: v, ok: true} }

// format prints the value with the row's verb, e.g. "%.0f".
func (f figure) format(verb string) string {
	if !f.ok {
		if f.note == "" {
			return "-"
		}
		return f.note
	}
	s := fmt.Sprintf(verb, f.v)
	if f.note != "" {
		s += " " + f.note
	}
	return s
}

// row is one line of the table.
type row struct {
	heads  *[numCols]string // names of the columns; nil: colNames
	metric string
	verb   string // how to print the cells
	cells  [numCols]figure
	ratio  string
	target string
	pass   string // PASS, FAIL or empty when there is no target
}

// report collects the rows, and the errors and remarks printed under the table.
type report struct {
	rows  []row
	notes []string
}

// problem records err under the table and returns the figure standing for it.
func (r *report) problem(col int, metric string, err error) figure {
	return r.problemOf(colNames[col], metric, err)
}

// problemOf is problem for a server named who.
func (r *report) problemOf(who, metric string, err error) figure {
	if errors.Is(err, context.Canceled) {
		return figure{note: "interrupted"}
	}
	r.notes = append(r.notes, fmt.Sprintf("[%d] %s, %s: %v", len(r.notes)+1, who, metric, err))
	return figure{note: fmt.Sprintf("ERROR[%d]", len(r.notes))}
}

// remark adds a line under the table.
func (r *report) remark(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// verdict is PASS or FAIL for a target check that could be evaluated.
func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// times formats a ratio: "12.3×", or "0.42×" below one.
func times(x float64) string {
	if x < 1 {
		return fmt.Sprintf("%.2f×", x)
	}
	return fmt.Sprintf("%.1f×", x)
}

// ratio divides two figures when both exist.
func ratio(a, b figure) (float64, bool) {
	if !a.ok || !b.ok || b.v == 0 {
		return 0, false
	}
	return a.v / b.v, true
}

// print writes the aligned table and the notes. Rows whose columns are named otherwise than
// the rows above them get a header line of their own.
func (r *report) print(w io.Writer) {
	header := func(names *[numCols]string) []string {
		head := append([]string{"metric"}, names[:]...)
		return append(head, "ratio", "target", "pass/fail")
	}
	var heads *[numCols]string
	var lines [][]string
	isHead := map[int]bool{}
	if len(r.rows) == 0 {
		isHead[0] = true
		lines = append(lines, header(&colNames))
	}
	for _, rw := range r.rows {
		if rw.heads == nil {
			rw.heads = &colNames
		}
		if heads == nil || *rw.heads != *heads {
			heads = rw.heads
			isHead[len(lines)] = true
			lines = append(lines, header(heads))
		}
		cols := []string{rw.metric}
		for _, c := range rw.cells {
			cols = append(cols, c.format(rw.verb))
		}
		lines = append(lines, append(cols, dash(rw.ratio), dash(rw.target), dash(rw.pass)))
	}
	width := make([]int, len(lines[0]))
	for _, l := range lines {
		for i, c := range l {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for n, l := range lines {
		if isHead[n] && n > 0 {
			fmt.Fprintln(w)
		}
		writeLine(w, l, width)
		if isHead[n] {
			rules := make([]string, len(width))
			for i, wd := range width {
				rules[i] = strings.Repeat("-", wd)
			}
			writeLine(w, rules, width)
		}
	}
	if len(r.notes) > 0 {
		fmt.Fprintln(w)
	}
	for _, n := range r.notes {
		fmt.Fprintln(w, n)
	}
}

// writeLine writes cells padded to their column's width, separated by " | ".
func writeLine(w io.Writer, cells []string, width []int) {
	padded := make([]string, len(cells))
	for i, c := range cells {
		padded[i] = c + strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
	}
	fmt.Fprintln(w, strings.TrimRight(strings.Join(padded, " | "), " "))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
