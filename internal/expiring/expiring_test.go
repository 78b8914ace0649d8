package expiring

import (
	"strconv"
	"testing"
	"time"
)

func TestMap(t *testing.T) {
	t.Parallel()
	var m Map[int]
	now := time.Unix(1000, 0)
	if _, ok := m.Get("a", now); ok {
		t.Fatal("the zero Map has an entry")
	}
	m.Put("a", 1, now.Add(time.Second))
	m.Put("b", 2, now.Add(time.Second))
	if v, ok := m.Get("a", now); !ok || v != 1 {
		t.Errorf("Get(a) = %d, %v", v, ok)
	}
	if _, ok := m.Get("a", now.Add(time.Second)); ok {
		t.Error("an entry is trusted at its expiry")
	}
	m.Forget("a")
	if _, ok := m.Get("a", now); ok {
		t.Error("a forgotten entry")
	}
	m.Put("a", 1, now.Add(time.Second))
	m.ForgetAllBut("b")
	if _, ok := m.Get("a", now); ok {
		t.Error("ForgetAllBut kept another entry")
	}
	if v, ok := m.Get("b", now); !ok || v != 2 {
		t.Errorf("ForgetAllBut dropped the kept entry: %d %v", v, ok)
	}
	for i := range MaxEntries + 1 {
		m.Put(strconv.Itoa(i), i, now.Add(time.Second))
	}
	if n := len(m.m); n > MaxEntries {
		t.Errorf("%d entries, bound %d", n, MaxEntries)
	}
}
