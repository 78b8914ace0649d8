package main

import (
	"strings"
	"testing"
	"time"
)

// searchCLI runs `hearth search` with the login of TestLoginAndDataCLI: the note it wrote
// found once indexed (the index follows the changes feed, so it is polled for), or a clear
// error when the instance serves no search API.
func searchCLI(t *testing.T) {
	t.Helper()
	if code, _, errOut := cli(t, "search"); code != 2 || !strings.Contains(errOut, "hearth search <query>") {
		t.Errorf("search without a query: %d %q", code, errOut)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, out, errOut := cli(t, "search", "milk", "--doctype", "io.hearth.notes", "--limit", "5")
		switch {
		case code == 1 && strings.Contains(errOut, "No such endpoint"):
			t.Log("the instance serves no search API: hearth search says so")
			return
		case code == 0 && strings.Contains(out, "io.hearth.notes n1") && strings.Contains(out, "of 1 hits"):
			if code, _, errOut := cli(t, "search", "milk", "--doctype", "io.hearth.bookmarks"); code != 1 || !strings.Contains(errOut, "not allowed") {
				t.Errorf("search of a doctype the login may not read: %d %q", code, errOut)
			}
			return
		case time.Now().After(deadline):
			t.Errorf("search: %d %q %q", code, out, errOut)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
