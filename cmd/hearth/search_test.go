package main

import (
	"strings"
	"testing"
)

// searchCLI runs `hearth search` with the login of TestLoginAndDataCLI: hits when the
// instance serves the search API, a clear error otherwise.
func searchCLI(t *testing.T) {
	t.Helper()
	if code, _, errOut := cli(t, "search"); code != 2 || !strings.Contains(errOut, "hearth search <query>") {
		t.Errorf("search without a query: %d %q", code, errOut)
	}
	code, out, errOut := cli(t, "search", "milk", "--doctype", "io.hearth.notes", "--limit", "5")
	if code == 1 && strings.Contains(errOut, "No such endpoint") {
		t.Log("the instance serves no search API yet: hearth search reports it")
		return
	}
	if code != 0 || !strings.Contains(out, "io.hearth.notes n1") || !strings.Contains(out, "hits") {
		t.Errorf("search: %d %q %q", code, out, errOut)
	}
}
