package runtime_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/hearth-cloud/hearth/instance/runtime"
)

// example is one request of docs/data-system.md and the response it documents.
type example struct {
	request  string
	response string
}

func readExamples(t *testing.T, path string) []example {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []example
	var block *strings.Builder
	var lang string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case block == nil && (line == "```http" || line == "```json"):
			block, lang = &strings.Builder{}, strings.TrimPrefix(line, "```")
		case block != nil && line == "```":
			if lang == "http" {
				out = append(out, example{request: block.String()})
			} else if len(out) > 0 && out[len(out)-1].response == "" {
				out[len(out)-1].response = block.String()
			}
			block = nil
		case block != nil:
			block.WriteString(line + "\n")
		}
	}
	return out
}

// matches reports whether actual has the shape of the documented value: "…" stands for anything.
func matches(doc, actual any) bool {
	if doc == "…" {
		return true
	}
	switch d := doc.(type) {
	case map[string]any:
		a, ok := actual.(map[string]any)
		if !ok || len(a) != len(d) {
			return false
		}
		for k, v := range d {
			if av, ok := a[k]; !ok || !matches(v, av) {
				return false
			}
		}
		return true
	case []any:
		a, ok := actual.([]any)
		if !ok || len(a) != len(d) {
			return false
		}
		for i := range d {
			if !matches(d[i], a[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(doc, actual)
}

func TestDocsExamples(t *testing.T) {
	examples := readExamples(t, "../../docs/data-system.md")
	if len(examples) < 10 {
		t.Fatalf("found %d examples in docs/data-system.md", len(examples))
	}
	h := start(t, runtime.Config{})
	h.addInstance(t, "docs.test")
	tok := h.token(t, "docs.test", "io.hearth.notes")
	lastRev := ""
	for _, ex := range examples {
		head, body, _ := strings.Cut(ex.request, "\n\n")
		body = strings.ReplaceAll(body, "$REV", lastRev)
		x := sendExample(t, h, "http://docs.test", tok, head, body, ex.response)
		wantErr := false
		if m, ok := x.want.(map[string]any); ok && m["error"] != nil {
			wantErr = true
		}
		if (x.status >= 400) != wantErr || !matches(x.want, x.got) {
			t.Errorf("%s\n got %d %s\nwant %s", x.title, x.status, x.raw, ex.response)
		}
		if m, ok := x.got.(map[string]any); ok {
			if rev, ok := m["rev"].(string); ok {
				lastRev = rev
			}
		}
	}
}

// sent is a documented request sent, and its answer.
type sent struct {
	title     string // the request line, for messages
	status    int
	raw       []byte
	got, want any // the answer's JSON and the documented response's
}

// sendExample sends a documented request (its request line and header lines in head) with body to
// base, with a bearer token unless token is "", and decodes the answer and the documented
// response; either not being JSON fails the test.
func sendExample(t *testing.T, h *harness, base, token, head, body, response string) sent {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(head), "\n")
	method, path, _ := strings.Cut(lines[0], " ")
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", lines[0], err)
	}
	for _, hl := range lines[1:] {
		k, v, _ := strings.Cut(hl, ": ")
		req.Header.Set(k, v)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	x := sent{title: lines[0], status: resp.StatusCode, raw: raw}
	if err := json.Unmarshal(raw, &x.got); err != nil {
		t.Fatalf("%s: response is not JSON: %s", lines[0], raw)
	}
	if err := json.Unmarshal([]byte(response), &x.want); err != nil {
		t.Fatalf("%s: the documented response is not JSON: %v", lines[0], err)
	}
	return x
}
