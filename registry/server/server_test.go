package server_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hearth-cloud/hearth/internal/testsvc"
	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/gitsource"
)

func TestWellKnown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "", gitsource.Policy{})
	var out map[string]string
	e.must(http.StatusOK, "GET", "/.well-known/hearth-registry", "", nil, &out)
	if out["key"] != e.signer.Fingerprint() || out["name"] != "reg.test" || out["changes"] != "/api/v1/changes" || out["archives"] != "/archives/" {
		t.Errorf("well-known %v", out)
	}
	var errOut map[string]string
	if code, _ := e.do("GET", "/api/v1/nope", "", nil, &errOut); code != http.StatusNotFound || errOut["error"] == "" {
		t.Errorf("unknown path: %d %v", code, errOut)
	}
}

func TestPublishersAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "", gitsource.Policy{})
	token, proof := e.publisher("ada@example.org")
	if !strings.HasPrefix(token, "hrt_") || !strings.HasPrefix(proof, "hearth-proof-") {
		t.Fatalf("token %q proof %q", token, proof)
	}
	var errOut map[string]string
	if code, _ := e.do("POST", "/api/v1/publishers", "", map[string]string{"email": "ada@example.org", "password": "another password", "name": "Eve"}, &errOut); code != http.StatusConflict {
		t.Errorf("same email: %d %v", code, errOut)
	}
	for _, body := range []any{map[string]string{"email": "x", "password": "correct horse battery", "name": "X"},
		map[string]string{"email": "b@example.org", "password": "short", "name": "X"},
		map[string]any{"email": "b@example.org", "password": "correct horse battery", "name": "X", "admin": true}} {
		if code, _ := e.do("POST", "/api/v1/publishers", "", body, &errOut); code != http.StatusBadRequest || errOut["error"] == "" {
			t.Errorf("signup %v: %d %v", body, code, errOut)
		}
	}
	var tok struct{ Token string }
	e.must(http.StatusCreated, "POST", "/api/v1/tokens", "", map[string]string{"email": "ada@example.org", "password": "correct horse battery", "name": "laptop"}, &tok)
	var me struct {
		Name, Email, Proof string
		Apps               []any
	}
	e.must(http.StatusOK, "GET", "/api/v1/publisher", tok.Token, nil, &me)
	if me.Email != "ada@example.org" || me.Proof != proof || me.Apps == nil {
		t.Errorf("publisher %+v", me)
	}
	if code, _ := e.do("GET", "/api/v1/publisher", "", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("no token: %d", code)
	}
	if code, _ := e.do("GET", "/api/v1/publisher", "hrt_nope", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("bad token: %d", code)
	}
	if code, _ := e.do("POST", "/api/v1/tokens", "", map[string]string{"email": "ada@example.org", "password": "wrong password"}, nil); code != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", code)
	}
	// Logins are throttled: the address has used 6 of its 10 tries.
	var code int
	var h http.Header
	for range 10 {
		if code, h = e.do("POST", "/api/v1/tokens", "", map[string]string{"email": "ada@example.org", "password": "wrong password"}, nil); code == http.StatusTooManyRequests {
			break
		}
	}
	if code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Errorf("throttle: %d, Retry-After %q", code, h.Get("Retry-After"))
	}
	big := strings.Repeat("x", 2<<20)
	if code, _ := e.do("POST", "/api/v1/publishers", "", map[string]string{"email": big}, nil); code != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB body: %d", code)
	}
}

func TestSubmitAndBrowse(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		token, proof := e.publisher("ada@example.org")
		files := appFiles("notes", "1.0.0", proof)
		bare, url := repo(t, files, "v1.0.0")
		broken := appFiles("notes", "1.1.0", proof)
		broken["hearth.json"] = strings.Replace(broken["hearth.json"], `"io.hearth.notes"`, `"not a doctype"`, 1)
		testsvc.GitCommit(t, bare, broken, "v1.1.0")
		testsvc.GitCommit(t, bare, appFiles("notes", "1.2.0-dev", proof))

		var res submitResult
		e.must(http.StatusCreated, "POST", "/api/v1/apps", token, map[string]string{"git_url": url}, &res)
		if len(res.Versions) != 2 || res.Versions[0]["version"] != "1.2.0-dev" || res.Versions[1]["version"] != "1.0.0" {
			t.Fatalf("versions %v", res.Versions)
		}
		if len(res.Problems) != 1 || !strings.HasPrefix(res.Problems[0], "v1.1.0: ") || !strings.Contains(res.Problems[0], "doctype") {
			t.Errorf("problems %q", res.Problems)
		}
		if !strings.HasPrefix(res.Webhook.URL, "/hooks/") || res.Webhook.Secret == "" {
			t.Errorf("webhook %+v", res.Webhook)
		}

		// The detail, with signed entries.
		var app struct {
			Name     string
			Latest   map[string]string
			Icon     string
			Entry    entry.Signed
			Versions []struct {
				Version, Channel, ArchiveSHA256 string
				ArchiveURL                      string `json:"archive_url"`
				Sha                             string `json:"archive_sha256"`
				Entry                           entry.Signed
			}
		}
		e.must(http.StatusOK, "GET", "/api/v1/apps/notes", "", nil, &app)
		if app.Name != "Notes" || app.Latest["stable"] != "1.0.0" || app.Latest["dev"] != "1.2.0-dev" || len(app.Versions) != 2 {
			t.Fatalf("app %+v", app)
		}
		if en, err := entry.Open(&app.Entry, e.signer.Fingerprint()); err != nil || en.App.Source != url {
			t.Errorf("app entry: %v", err)
		}
		for _, v := range app.Versions {
			if _, err := entry.Open(&v.Entry, e.signer.Fingerprint()); err != nil {
				t.Errorf("version %s entry: %v", v.Version, err)
			}
		}
		var latest struct{ Version, Tag string }
		e.must(http.StatusOK, "GET", "/api/v1/apps/notes/latest?channel=stable", "", nil, &latest)
		if latest.Version != "1.0.0" || latest.Tag != "v1.0.0" {
			t.Errorf("latest %+v", latest)
		}
		if code, _ := e.do("GET", "/api/v1/apps/notes/latest?channel=beta", "", nil, nil); code != http.StatusNotFound {
			t.Errorf("latest beta: %d", code)
		}
		if code, _ := e.do("GET", "/api/v1/apps/notes?origin=ed25519:nope", "", nil, nil); code != http.StatusNotFound {
			t.Errorf("other origin: %d", code)
		}

		// The archive, by its sha256.
		stable := app.Versions[1]
		resp, err := http.Get(e.url + stable.ArchiveURL)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		sum := sha256.Sum256(data)
		if resp.StatusCode != 200 || hex.EncodeToString(sum[:]) != stable.Sha || resp.Header.Get("Content-Type") != "application/x-tar" ||
			!strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("archive: %d %s %v", resp.StatusCode, hex.EncodeToString(sum[:]), resp.Header)
		}
		for _, bad := range []string{"/archives/" + strings.Repeat("0", 64) + ".tar", "/archives/..%2f..%2fregistry.db", "/archives/" + strings.ToUpper(stable.Sha) + ".tar"} {
			if code, _ := e.do("GET", bad, "", nil, nil); code != http.StatusNotFound {
				t.Errorf("%s: %d", bad, code)
			}
		}

		// The icon, sandboxed.
		resp, err = http.Get(e.url + app.Icon)
		if err != nil {
			t.Fatal(err)
		}
		icon, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(icon) != files["icon.svg"] || resp.Header.Get("Content-Type") != "image/svg+xml" ||
			!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("icon: %d %q %v", resp.StatusCode, icon, resp.Header)
		}

		// Another repository with the same slug, and the same one again.
		_, url2 := repo(t, appFiles("notes", "2.0.0", proof), "v2.0.0")
		for _, u := range []string{url2, url} {
			if code, _ := e.do("POST", "/api/v1/apps", token, map[string]string{"git_url": u}, nil); code != http.StatusConflict {
				t.Errorf("same slug from %s: %d", u, code)
			}
		}
		var me struct {
			Apps []struct {
				Slug     string
				Problems []string
				Webhook  *struct{ URL string }
			}
		}
		e.must(http.StatusOK, "GET", "/api/v1/publisher", token, nil, &me)
		if len(me.Apps) != 1 || me.Apps[0].Webhook == nil || len(me.Apps[0].Problems) != 1 {
			t.Errorf("dashboard %+v", me)
		}
	})
}

func TestSubmitOwnership(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "", gitsource.Policy{AllowPrivate: true})
	token, _ := e.publisher("ada@example.org")
	_, eveProof := e.publisher("eve@example.org")
	for name, proof := range map[string]string{"no proof file": "", "another's proof": eveProof} {
		_, url := repo(t, appFiles("notes", "1.0.0", proof), "v1.0.0")
		var out map[string]string
		if code, _ := e.do("POST", "/api/v1/apps", token, map[string]string{"git_url": url}, &out); code != http.StatusUnprocessableEntity || !strings.HasPrefix(out["error"], "ownership:") {
			t.Errorf("%s: %d %v", name, code, out)
		}
	}
	if code, _ := e.do("POST", "/api/v1/apps", "", map[string]string{"git_url": "https://example.org/x.git"}, nil); code != http.StatusUnauthorized {
		t.Errorf("without a token: %d", code)
	}
	// A repository whose every version is broken: nothing to take a slug from.
	tokenBob, proof := e.publisher("bob@example.org")
	files := appFiles("notes", "1.0.0", proof)
	files["hearth.json"] = `{"slug": "notes"}`
	_, url := repo(t, files, "v1.0.0")
	var out struct {
		Error    string
		Problems []string
	}
	if code, _ := e.do("POST", "/api/v1/apps", tokenBob, map[string]string{"git_url": url}, &out); code != http.StatusUnprocessableEntity || len(out.Problems) != 2 {
		t.Errorf("every version broken: %d %+v", code, out)
	}
}

func TestHostileURLs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "", gitsource.Policy{})
	token, proof := e.publisher("ada@example.org")
	_, local := repo(t, appFiles("notes", "1.0.0", proof), "v1.0.0")
	for _, u := range []string{"file:///etc/passwd", "http://169.254.169.254/latest/meta-data.git", local,
		"ssh://git@127.0.0.1/x.git", "http://user:pw@example.org/x.git", "http://[::1]/x.git", "http://10.0.0.1/x.git"} {
		var out map[string]string
		code, _ := e.do("POST", "/api/v1/apps", token, map[string]string{"git_url": u}, &out)
		t.Logf("%s: %d %s", u, code, out["error"])
		if code != http.StatusUnprocessableEntity || !strings.HasPrefix(out["error"], "repository refused: ") {
			t.Errorf("%s: %d %v", u, code, out)
		}
	}
	allow := newEnv(t, "", gitsource.Policy{AllowPrivate: true})
	token, _ = allow.publisher("ada@example.org")
	var out map[string]string
	if code, _ := allow.do("POST", "/api/v1/apps", token, map[string]string{"git_url": "file:///etc"}, &out); code != http.StatusUnprocessableEntity {
		t.Errorf("file:// with private addresses allowed: %d %v", code, out)
	}
}
