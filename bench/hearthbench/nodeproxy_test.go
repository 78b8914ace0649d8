package main

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNodeNginxConfig(t *testing.T) {
	conf := nginxConfig("127.0.0.1:4321", "/tmp/x", nodeNginxSite("/data/apps/node/run/ab/app.sock", "1"))
	upstream := strings.Index(conf, "upstream node_app {")
	server := strings.Index(conf, "server {")
	if upstream < 0 || server < 0 || upstream > server {
		t.Fatalf("the upstream is not in the http block before the server:\n%s", conf)
	}
	for _, want := range []string{
		"server unix:/data/apps/node/run/ab/app.sock;", "keepalive 32;", "proxy_pass http://node_app;",
		"proxy_http_version 1.1;", `proxy_set_header Connection "";`, "proxy_set_header Host $http_host;",
		"worker_processes 1;",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("config lacks %q:\n%s", want, conf)
		}
	}
	if strings.Count(conf, "{") != strings.Count(conf, "}") {
		t.Errorf("unbalanced braces:\n%s", conf)
	}
}

func TestWrkArgs(t *testing.T) {
	load := wrkLoad{url: "http://127.0.0.1:1/healthz", host: "hello.bench.localhost:1",
		headers: []string{"Cookie: hearth_app=v1.x"}, shape: wrkShape{threads: 1, conns: 1, duration: 2 * time.Second}}
	got := strings.Join(load.args(), " ")
	want := "-t 1 -c 1 -d 2s --latency -H Host: hello.bench.localhost:1 -H Cookie: hearth_app=v1.x http://127.0.0.1:1/healthz"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestHiddenInput(t *testing.T) {
	page := `<form method="post" action="/onboarding" id="onboarding">
    <input type="hidden" name="csrf" value="c-1_2">
    <input type="hidden" name="token" value="a&#43;b">
    <input type="password" name="passphrase">`
	if got := hiddenInput(page, "csrf"); got != "c-1_2" {
		t.Errorf("csrf = %q", got)
	}
	if got := hiddenInput(page, "token"); got != "a+b" {
		t.Errorf("token = %q", got)
	}
	if got := hiddenInput(page, "passphrase"); got != "" {
		t.Errorf("passphrase = %q", got)
	}
}

func TestParseStat(t *testing.T) {
	// A command name may hold spaces and parentheses.
	stat := "4242 (node (x) y) S 1 4240 4240 0 -1 4194304 10 0 0 0 250 31 0 0 20 0 7 0 123 0 0"
	pgid, ticks, err := parseStat(stat)
	if err != nil || pgid != 4240 || ticks != 281 {
		t.Errorf("got group %d, %d ticks, %v", pgid, ticks, err)
	}
	if _, _, err := parseStat("4242 (cut"); err == nil {
		t.Error("a truncated line parsed")
	}
}

func TestGroupCPU(t *testing.T) {
	own, _, err := parseStat(mustRead(t, "/proc/self/stat"))
	if err != nil {
		t.Fatal(err)
	}
	m := startCPU(own)
	if m.err != nil {
		t.Fatal(m.err)
	}
	if f := m.perRequest(1); !f.ok || f.v < 0 {
		t.Errorf("CPU of our own group: %+v", f)
	}
	if f := startCPU(0).perRequest(1); f.note != "n/a" {
		t.Errorf("no group: %+v", f)
	}
	if !hasEnv([]byte("A=1\x00HEARTH_SOCKET=/s\x00"), "HEARTH_SOCKET=/s") || hasEnv([]byte("HEARTH_SOCKET=/s2"), "HEARTH_SOCKET=/s") {
		t.Error("hasEnv")
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestNodeFixtureManifest(t *testing.T) {
	m, err := readNodeManifest("../../testdata/apps/node-hello")
	if err != nil {
		t.Fatal(err)
	}
	if m.Slug != "hello" || !slices.Equal(m.Node.Start, []string{"node", "server.js"}) {
		t.Errorf("got %+v", m)
	}
}

func TestParseConfigNodeProxy(t *testing.T) {
	full, err := parseConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	quick, err := parseConfig([]string{"-quick", "-only", "nodeproxy"})
	if err != nil {
		t.Fatal(err)
	}
	if !full.runs("nodeproxy") || full.coldStarts != 5 || !strings.HasSuffix(full.nodeApp, "testdata/apps/node-hello") {
		t.Errorf("full: phases %v, %d cold starts, app %s", full.only, full.coldStarts, full.nodeApp)
	}
	if !quick.runs("nodeproxy") || quick.runs("static") || quick.coldStarts != 2 {
		t.Errorf("quick: phases %v, %d cold starts", quick.only, quick.coldStarts)
	}
	if _, err := parseConfig([]string{"-cold-starts", "0"}); err == nil {
		t.Error("no cold start accepted")
	}
}

func TestAddedRow(t *testing.T) {
	r := addedRow("p50", &series{{val(0.35)}, {{note: "n/a"}}, {val(0.10)}})
	if r.ratio != "a − c +0.25 ms" || r.pass != "PASS" {
		t.Errorf("got %q %q", r.ratio, r.pass)
	}
	r = addedRow("p50", &series{{val(1.5)}, {{note: "n/a"}}, {val(1.0)}})
	if r.pass != "FAIL" {
		t.Errorf("0.5 ms added passes: %q", r.pass)
	}
}
