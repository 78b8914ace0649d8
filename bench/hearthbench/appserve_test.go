package main

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

const wrkReport = `Running 1s test @ http://127.0.0.1:18777/a.txt
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.22ms    1.42ms   9.00ms   85.98%
    Req/Sec     2.30k   786.70     3.39k    60.00%
  Latency Distribution
     50%  575.00us
     75%    1.26ms
     90%    3.38ms
     99%    6.93ms
  2295 requests in 1.00s, 1.14MB read
%s
Requests/sec:   2291.22
Transfer/sec:      1.14MB
`

func TestParseWrk(t *testing.T) {
	tests := []struct {
		name   string
		extra  string
		non2xx int64
		sock   string
		ok     bool
	}{
		{"clean", "", 0, "", true},
		{"non-2xx", "  Non-2xx or 3xx responses: 12", 12, "", false},
		{"socket errors", "  Socket errors: connect 0, read 3, write 0, timeout 1", 0, "connect 0, read 3, write 0, timeout 1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := parseWrk(strings.Replace(wrkReport, "%s", tt.extra, 1))
			if err != nil {
				t.Fatal(err)
			}
			want := wrkResult{perSec: 2291.22, requests: 2295, p50: 575 * time.Microsecond,
				p99: 6930 * time.Microsecond, non2xx: tt.non2xx, sockErrs: tt.sock}
			if r != want {
				t.Errorf("got %+v, want %+v", r, want)
			}
			if (r.err() == nil) != tt.ok {
				t.Errorf("err() = %v", r.err())
			}
		})
	}
	if _, err := parseWrk("unable to connect to 127.0.0.1:1 Connection refused\n"); !errors.Is(err, errWrk) {
		t.Errorf("a report without figures: %v", err)
	}
}

func TestNginxConfig(t *testing.T) {
	conf := nginxConfig("127.0.0.1:4321", "/tmp/x", nginxSite{body: "root /srv/app;\nindex index.html;", workers: "auto"})
	for _, want := range []string{
		"worker_processes auto;", "pid /tmp/x/nginx.pid;", "error_log /tmp/x/error.log warn;",
		"access_log off;", "listen 127.0.0.1:4321;", "        root /srv/app;\n        index index.html;",
		"client_body_temp_path /tmp/x/body;",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("config lacks %q:\n%s", want, conf)
		}
	}
	if strings.Contains(conf, "include") || strings.Contains(conf, "/etc/nginx") {
		t.Errorf("config reads the system's files:\n%s", conf)
	}
}

func TestNginxHeaders(t *testing.T) {
	h := http.Header{}
	h.Set("Content-Security-Policy", `default-src 'self'; script-src 'self'`)
	h.Set("X-Quoted", `a "b" c\d`)
	h.Set("X-Variable", "$host")
	h.Set("Etag", `"abc"`)
	h.Set("Content-Type", "text/css")
	got := nginxHeaders(h)
	want := `add_header Content-Security-Policy "default-src 'self'; script-src 'self'" always;` + "\n" +
		`add_header X-Quoted "a \"b\" c\\d" always;`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestReportSections(t *testing.T) {
	r := &report{}
	r.rows = append(r.rows, speedRow("creates (docs/s)", [numCols]figure{val(3000), val(200), val(250)}, 10))
	r.rows = append(r.rows, row{heads: &serveCols, metric: "static (req/s)", verb: "%.0f",
		cells: [numCols]figure{val(7000), {note: "n/a"}, val(9000)}})
	var buf bytes.Buffer
	r.print(&buf)
	out := buf.String()
	blocks := strings.Split(strings.TrimSpace(out), "\n\n")
	if len(blocks) != 2 {
		t.Fatalf("want two sections:\n%s", out)
	}
	if !strings.Contains(blocks[0], "pouchdb-server") || !strings.Contains(blocks[1], "nginx") ||
		strings.Contains(blocks[1], "pouchdb-server") {
		t.Errorf("section headers:\n%s", out)
	}
	bar := strings.Index(blocks[0], "|")
	for _, l := range strings.Split(out, "\n") {
		if l != "" && strings.Index(l, "|") != bar {
			t.Errorf("misaligned:\n%s", out)
		}
	}
}

func TestParseConfigAppServing(t *testing.T) {
	full, err := parseConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	quick, err := parseConfig([]string{"-quick", "-only", "static,apps1000"})
	if err != nil {
		t.Fatal(err)
	}
	if full.appInsts != 1000 || full.wrk.duration != 10*time.Second || full.wrk.String() != "wrk -t2 -c32 -d10s" {
		t.Errorf("full: %d instances, %v", full.appInsts, full.wrk)
	}
	if quick.appInsts != 50 || quick.wrk.duration != 2*time.Second || !quick.runs("apps1000") || quick.runs("crud") {
		t.Errorf("quick: %d instances, %v, phases %v", quick.appInsts, quick.wrk, quick.only)
	}
	if _, err := parseConfig([]string{"-wrk-conns", "1", "-wrk-threads", "2"}); err == nil {
		t.Error("fewer connections than threads accepted")
	}
}
