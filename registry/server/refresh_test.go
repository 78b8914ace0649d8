package server_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/internal/testsvc"
	"github.com/hearth-cloud/hearth/registry/gitsource"
)

// submitted is a registry holding one app, notes 1.0.0, from a repository it returns.
func submitted(t *testing.T, e *env) (token, proof, bare string, res submitResult) {
	t.Helper()
	token, proof = e.publisher("ada@example.org")
	bare, url := repo(t, appFiles("notes", "1.0.0", proof), "v1.0.0")
	e.must(http.StatusCreated, "POST", "/api/v1/apps", token, map[string]string{"git_url": url}, &res)
	return token, proof, bare, res
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		token, proof, bare, _ := submitted(t, e)
		before := len(e.feed())
		var out struct {
			Versions []struct{ Version string }
			Problems []string
		}
		e.must(http.StatusOK, "POST", "/api/v1/apps/notes/refresh", token, nil, &out)
		if len(out.Versions) != 0 || len(e.feed()) != before {
			t.Fatalf("unchanged refresh: %+v, feed %d → %d", out, before, len(e.feed()))
		}
		testsvc.GitCommit(t, bare, appFiles("notes", "1.1.0", proof), "v1.1.0")
		e.must(http.StatusOK, "POST", "/api/v1/apps/notes/refresh", token, nil, &out)
		if len(out.Versions) != 2 || out.Versions[0].Version != "1.1.0" {
			t.Fatalf("refresh after a new tag: %+v", out) // v1.1.0 and the dev head
		}
		var app struct{ Latest map[string]string }
		e.must(http.StatusOK, "GET", "/api/v1/apps/notes", "", nil, &app)
		if app.Latest["stable"] != "1.1.0" {
			t.Errorf("latest %v", app.Latest)
		}
		other, _ := e.publisher("eve@example.org")
		if code, _ := e.do("POST", "/api/v1/apps/notes/refresh", other, nil, nil); code != http.StatusForbidden {
			t.Errorf("another's refresh: %d", code)
		}
	})
}

func TestWebhook(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "", gitsource.Policy{AllowPrivate: true})
	e.run()
	_, proof, bare, res := submitted(t, e)
	body := []byte(`{"ref": "refs/tags/v1.1.0"}`)
	mac := hmac.New(sha256.New, []byte(res.Webhook.Secret))
	mac.Write(body)
	sig := hex.EncodeToString(mac.Sum(nil))
	post := func(headers map[string]string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", e.url+res.Webhook.URL, bytes.NewReader(body))
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = jsonDecode(resp, &out)
		return resp.StatusCode, out
	}
	for name, h := range map[string]map[string]string{
		"no signature":    {"X-GitHub-Event": "push"},
		"bad signature":   {"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + hex.EncodeToString(make([]byte, 32))},
		"bad gitlab":      {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "nope"},
		"unprefixed sig":  {"X-GitHub-Event": "push", "X-Hub-Signature-256": sig},
		"other hook's id": {"X-GitHub-Event": "push", "X-Gitea-Signature": sig + "00"},
	} {
		if code, out := post(h); code != http.StatusUnauthorized {
			t.Errorf("%s: %d %v", name, code, out)
		}
	}
	if code, out := post(map[string]string{"X-GitHub-Event": "ping", "X-Hub-Signature-256": "sha256=" + sig}); code != http.StatusAccepted || out["queued"] != false {
		t.Errorf("ping: %d %v", code, out)
	}
	testsvc.GitCommit(t, bare, appFiles("notes", "1.1.0", proof), "v1.1.0")
	for name, h := range map[string]map[string]string{
		"github":  {"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + sig},
		"gitea":   {"X-Gitea-Event": "create", "X-Gitea-Signature": sig},
		"forgejo": {"X-Forgejo-Event": "push", "X-Forgejo-Signature": sig},
		"gitlab":  {"X-Gitlab-Event": "Tag Push Hook", "X-Gitlab-Token": res.Webhook.Secret},
	} {
		if code, out := post(h); code != http.StatusAccepted || out["queued"] != true {
			t.Errorf("%s: %d %v", name, code, out)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var app struct{ Latest map[string]string }
		e.must(http.StatusOK, "GET", "/api/v1/apps/notes", "", nil, &app)
		if app.Latest["stable"] == "1.1.0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the webhook's refresh did not find v1.1.0: %v", app.Latest)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, _ := e.do("POST", "/hooks/nope", "", nil, nil); code != http.StatusNotFound {
		t.Errorf("unknown hook: %d", code)
	}
}
