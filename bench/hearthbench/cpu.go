package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of the times in /proc/<pid>/stat (USER_HZ, 100 on Linux).
const userHZ = 100

var errProc = errors.New("hearthbench: /proc")

// groupCPU returns the CPU time, user and system, that the live processes of process group
// pgid have used.
func groupCPU(pgid int) (time.Duration, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errProc, err)
	}
	var ticks int64
	found := false
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		group, t, err := parseStat(string(raw))
		if err != nil {
			return 0, err
		}
		if group == pgid {
			ticks += t
			found = true
		}
	}
	if !found {
		return 0, fmt.Errorf("%w: no process in group %d", errProc, pgid)
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// parseStat reads the process group and utime+stime (in ticks) of a /proc/<pid>/stat line.
func parseStat(stat string) (pgid int, ticks int64, err error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("%w: stat %.80q", errProc, stat)
	}
	// After the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
	// utime stime …
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("%w: stat %.80q", errProc, stat)
	}
	pgid, err1 := strconv.Atoi(f[2])
	user, err2 := strconv.ParseInt(f[11], 10, 64)
	sys, err3 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return 0, 0, fmt.Errorf("%w: stat %.80q: %w", errProc, stat, err)
	}
	return pgid, user + sys, nil
}

// groupWithEnv returns the process group of the process whose environment holds entry
// ("NAME=value"), such as the node app the controller told to listen on a socket.
func groupWithEnv(entry string) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errProc, err)
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !hasEnv(env, entry) {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		pgid, _, err := parseStat(string(stat))
		return pgid, err
	}
	return 0, fmt.Errorf("%w: no process with %s in its environment", errProc, entry)
}

// hasEnv reports whether a NUL-separated environment block holds entry.
func hasEnv(env []byte, entry string) bool {
	for _, e := range bytes.Split(env, []byte{0}) {
		if string(e) == entry {
			return true
		}
	}
	return false
}

// cpuMeter measures the CPU that a process group uses over a measurement.
type cpuMeter struct {
	pgid   int
	before time.Duration
	err    error
}

// startCPU starts measuring process group pgid; 0 measures nothing.
func startCPU(pgid int) *cpuMeter {
	m := &cpuMeter{pgid: pgid}
	if pgid != 0 {
		m.before, m.err = groupCPU(pgid)
	}
	return m
}

// perRequest is the CPU used since start divided by n requests, in µs; n/a without a group.
func (m *cpuMeter) perRequest(n int64) figure {
	if m.pgid == 0 {
		return figure{note: "n/a"}
	}
	if m.err != nil || n <= 0 {
		return figure{note: "-"}
	}
	after, err := groupCPU(m.pgid)
	if err != nil {
		return figure{note: "-"}
	}
	return val(float64(after-m.before) / float64(time.Microsecond) / float64(n))
}
