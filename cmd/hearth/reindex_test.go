package main

import (
	"strings"
	"testing"
)

func TestInstancesReindexCLI(t *testing.T) {
	dir := t.TempDir()
	pub, adm := serveInProcess(t, dir)
	common := []string{"--admin-url", "http://" + adm, "--data-dir", dir}
	domain := "reindex.test:" + strings.Split(pub, ":")[1]
	if code, _, errOut := cli(t, append([]string{"instances", "add"}, append(common, domain)...)...); code != 0 {
		t.Fatalf("add: %s", errOut)
	}
	reindex := func(rest ...string) (int, string, string) {
		return cli(t, append(append([]string{"instances", "reindex"}, common...), rest...)...)
	}
	if code, out, errOut := reindex(domain); code != 0 || !strings.Contains(out, "reindexed "+domain+": 0 documents") ||
		!strings.Contains(out, "analyzer standard, generation 2") {
		t.Fatalf("reindex: %d %q %q", code, out, errOut)
	}
	if code, out, errOut := reindex("--locale", "de", domain); code != 0 || !strings.Contains(out, "analyzer de, generation 3") {
		t.Fatalf("reindex --locale de: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := reindex("--locale", "??", domain); code != 1 || !strings.Contains(errOut, "not a locale") {
		t.Fatalf("reindex with a bad locale: %d %q", code, errOut)
	}
	if code, _, errOut := reindex("nobody.test"); code != 1 || !strings.Contains(errOut, "no such instance") {
		t.Fatalf("reindex of an unknown instance: %d %q", code, errOut)
	}
}
