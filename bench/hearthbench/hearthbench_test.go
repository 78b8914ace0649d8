package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	tests := []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"median", ds, 50, 5},
		{"p99", ds, 99, 10},
		{"p10", ds, 10, 1},
		{"one", []time.Duration{7}, 99, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.in, tt.p); got != tt.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tt.in, tt.p, got, tt.want)
			}
		})
	}
}

func TestParseConfigQuick(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		docs     int
		duration time.Duration
	}{
		{"full", nil, 100_000, 5 * time.Second},
		{"quick", []string{"-quick"}, 5000, time.Second},
		{"quick keeps a set flag", []string{"-quick", "-docs", "20000"}, 20000, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if c.docs != tt.docs || c.win.measure != tt.duration {
				t.Errorf("docs %d duration %v, want %d %v", c.docs, c.win.measure, tt.docs, tt.duration)
			}
		})
	}
	if _, err := parseConfig([]string{"-only", "nope"}); err == nil {
		t.Error("unknown phase accepted")
	}
}

func TestReportAligned(t *testing.T) {
	r := &report{}
	cells := [numCols]figure{val(3000), val(200), val(250)}
	r.rows = append(r.rows, speedRow("creates (docs/s)", cells, 10))
	r.rows = append(r.rows, speedRow("reads by id, 16 clients (docs/s)", [numCols]figure{val(100), {note: "n/a"}, val(250)}, 15))
	var buf bytes.Buffer
	r.print(&buf)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines:\n%s", len(lines), buf.String())
	}
	bar := strings.Index(lines[0], "|")
	for _, l := range lines {
		if strings.Index(l, "|") != bar {
			t.Errorf("misaligned:\n%s", buf.String())
		}
	}
	for _, want := range []string{"a/c 12.0× b/c 0.80×", "PASS", "a/c 0.40×", "FAIL"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("missing %q in:\n%s", want, buf.String())
		}
	}
}
