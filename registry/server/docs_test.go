package server_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hearth-cloud/hearth/registry/gitsource"
)

// docRequestRe matches a request line of docs/registry.md: a method and a path.
var docRequestRe = regexp.MustCompile(`^(GET|POST|PUT|DELETE)\s+(/\S*)`)

// TestDocumentedEndpointsExist sends every request that docs/registry.md names, with its
// placeholders filled from a real submission, and checks that the registry routes each one
// (no "no such endpoint", no 405): the document cannot name an endpoint that is not there.
func TestDocumentedEndpointsExist(t *testing.T) {
	e := newEnv(t, "", gitsource.Policy{AllowPrivate: true})
	token, proof := e.publisher("docs@example.org")
	_, gitURL := repo(t, appFiles("notes", "1.0.0", proof), "v1.0.0")
	var sub submitResult
	e.must(http.StatusCreated, "POST", "/api/v1/apps", token, map[string]string{"git_url": gitURL}, &sub)
	sha, _ := sub.Versions[0]["archive_sha256"].(string)
	fill := strings.NewReplacer("{slug}", "notes", "{key}", url.QueryEscape(e.signer.Fingerprint()),
		"{version}", "1.0.0", "{v}", "1.0.0", "{sha256}", sha, "{path}", "icon.svg",
		"/hooks/{hook-id}", sub.Webhook.URL, "…", "x")

	f, err := os.Open("../../docs/registry.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := 0
	inCode := false
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
			continue
		}
		m := docRequestRe.FindStringSubmatch(line)
		if !inCode || m == nil {
			continue
		}
		seen++
		method, path := m[1], fill.Replace(m[2])
		req, err := http.NewRequest(method, e.url+path, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ Error string }
		json.NewDecoder(resp.Body).Decode(&out) // not every answer is JSON (archives, icons)
		resp.Body.Close()
		if resp.StatusCode == http.StatusMethodNotAllowed || resp.StatusCode == http.StatusNotFound && out.Error == "no such endpoint" {
			t.Errorf("%s %s (docs/registry.md: %q): %d %s", method, path, line, resp.StatusCode, out.Error)
		}
	}
	if seen < 15 {
		t.Errorf("found %d documented requests; the scan of docs/registry.md is broken", seen)
	}
}
