package main

import (
	"slices"
	"strings"
	"testing"
)

func TestRotation(t *testing.T) {
	tests := []struct {
		n    int
		want [][]int // rounds 0, 1, …
	}{
		{1, [][]int{{0}, {0}}},
		{2, [][]int{{0, 1}, {1, 0}, {0, 1}}},
		{3, [][]int{{0, 1, 2}, {1, 2, 0}, {2, 0, 1}, {0, 1, 2}}},
	}
	for _, tt := range tests {
		for i, want := range tt.want {
			if got := rotation(i, tt.n); !slices.Equal(got, want) {
				t.Errorf("rotation(%d, %d) = %v, want %v", i, tt.n, got, want)
			}
		}
	}
}

// column is one column's rounds.
func column(fs ...figure) []figure { return fs }

var (
	errFig = figure{note: "ERROR[1]"}
	badFig = figure{v: 2, ok: true, bad: true, note: "ERROR[2]"}
	na     = figure{note: "n/a"}
)

func TestSummary(t *testing.T) {
	tests := []struct {
		name   string
		rounds []figure
		want   figure
	}{
		{"odd", column(val(3), val(1), val(2)), val(2)},
		{"even", column(val(4), val(1), val(3), val(2)), val(2.5)},
		{"one", column(val(7)), val(7)},
		{"failed round", column(val(1), errFig, val(3)), errFig},
		{"failed and bad", column(badFig, errFig), errFig},
		{"bad round", column(val(1), badFig, val(3)), figure{v: 2, ok: true, bad: true, note: "ERROR[2]"}},
		{"not measured", column(na), na},
		{"none", nil, figure{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summary(tt.rounds); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestByRound(t *testing.T) {
	tests := []struct {
		name    string
		a, c    []figure
		cmp     func(a, c float64) (float64, bool)
		per     []figure
		med     figure
		medText string
	}{
		// The median of the ratios (1.11×), not the ratio of the medians (60/90 = 0.67×).
		{"ratio", column(val(50), val(100), val(60)), column(val(100), val(90), val(40)), div,
			column(val(0.5), val(100.0/90), val(1.5)), val(100.0 / 90), "0.50×, 1.1×, 1.5× (median 1.1×)"},
		{"even", column(val(1), val(2), val(3), val(4)), column(val(1), val(1), val(1), val(1)), div,
			column(val(1), val(2), val(3), val(4)), val(2.5), "1.0×, 2.0×, 3.0×, 4.0× (median 2.5×)"},
		{"difference", column(val(1.0), val(2.0), val(3.0)), column(val(0.9), val(1.0), val(2.95)), sub,
			column(val(0.1), val(1.0), val(0.05)), val(0.1), ""},
		{"failed round", column(val(100), errFig), column(val(100), val(100)), div,
			column(val(1), figure{}), figure{}, "1.0×, -"},
		{"stopped after a failure", column(val(100), val(100), val(100)), column(val(100), errFig), div,
			column(val(1), figure{}, figure{}), figure{}, "1.0×, -, -"},
		{"bad round compares", column(badFig), column(val(4)), div, column(val(0.5)), val(0.5), "0.50×"},
		{"zero", column(val(1)), column(val(0)), div, column(figure{}), figure{}, "-"},
		{"not measured", column(val(1)), column(na), div, column(figure{}), figure{}, "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s series
			s[colHearth], s[colDirect], s[colNginx] = tt.a, column(na), tt.c
			per, med := s.byRound(colHearth, colNginx, tt.cmp)
			if !slices.EqualFunc(per, tt.per, near) || !near(med, tt.med) {
				t.Errorf("got %v, median %+v; want %v, %+v", per, med, tt.per, tt.med)
			}
			if got := roundsText(per, med, times); tt.medText != "" && got != tt.medText {
				t.Errorf("text %q, want %q", got, tt.medText)
			}
		})
	}
}

// near compares figures up to rounding.
func near(a, b figure) bool {
	d := a.v - b.v
	return a.ok == b.ok && a.bad == b.bad && a.note == b.note && d < 1e-9 && d > -1e-9
}

func TestRoundRows(t *testing.T) {
	// Per-round differences 0.1, 1.0, 0.05: median 0.1 passes, where the medians' difference
	// (2.0 − 1.0) would fail.
	r := addedRow("p50", &series{column(val(1.0), val(2.0), val(3.0)), column(na), column(val(0.9), val(1.0), val(2.95))})
	if r.ratio != "a − c +0.10 ms" || r.pass != "PASS" || r.cells[colHearth] != val(2) || r.cells[colNginx] != val(1) {
		t.Errorf("three rounds: %q %q %v", r.ratio, r.pass, r.cells)
	}
	r = addedRow("p50", &series{column(val(1.0), val(1.2)), column(na), column(val(0.5), val(0.6))})
	if r.ratio != "a − c +0.55 ms" || r.pass != "FAIL" || !near(r.cells[colHearth], val(1.1)) {
		t.Errorf("two rounds: %q %q %v", r.ratio, r.pass, r.cells)
	}
	r = addedRow("p50", &series{column(val(0.3), errFig, val(0.3)), column(na), column(val(0.2), val(0.2), val(0.2))})
	if r.ratio != "" || r.pass != "" || r.cells[colHearth] != errFig {
		t.Errorf("a failed round: %q %q %v", r.ratio, r.pass, r.cells)
	}
	r = addedRow("p50", &series{column(val(0.3), badFig), column(na), column(val(0.2), val(0.2))})
	if r.pass != "FAIL" || !strings.Contains(r.cells[colHearth].format(r.verb), "ERROR[2]") {
		t.Errorf("a round with failed requests: %q %v", r.pass, r.cells)
	}
}

func TestRoundsText(t *testing.T) {
	per := column(val(0.82), val(0.91), val(0.79))
	if got := roundsText(per, val(0.82), times); got != "0.82×, 0.91×, 0.79× (median 0.82×)" {
		t.Errorf("got %q", got)
	}
	if got := roundsText(column(val(0.1)), val(0.1), addedMs); got != "+0.10 ms" {
		t.Errorf("one round: %q", got)
	}
	if roundsNote(1) != "wrk rows: one round" || roundsNote(3) != "wrk rows: median of 3 interleaved rounds" {
		t.Errorf("notes: %q, %q", roundsNote(1), roundsNote(3))
	}
}

func TestParseConfigRounds(t *testing.T) {
	tests := []struct {
		args []string
		want int
	}{
		{nil, 3},
		{[]string{"-quick"}, 1},
		{[]string{"-quick", "-rounds", "2"}, 2},
		{[]string{"-rounds", "5"}, 5},
	}
	for _, tt := range tests {
		c, err := parseConfig(tt.args)
		if err != nil {
			t.Fatal(err)
		}
		if c.rounds != tt.want {
			t.Errorf("%v: %d rounds, want %d", tt.args, c.rounds, tt.want)
		}
	}
	if _, err := parseConfig([]string{"-rounds", "0"}); err == nil {
		t.Error("no round accepted")
	}
}
