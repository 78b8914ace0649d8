package gitsource

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/internal/testsvc"
)

// local is the policy of tests against servers on 127.0.0.1, with a short
// deadline.
var local = Policy{AllowPrivate: true, Timeout: 30 * time.Second}

// serve serves a new bare repository made of files over git http-backend
// and returns its URL and directory.
func serve(t *testing.T, files map[string]string, tags ...string) (url, bare string) {
	t.Helper()
	bare = testsvc.GitRepo(t, files, tags...)
	return testsvc.GitHTTP(t, filepath.Dir(bare)) + "/" + filepath.Base(bare), bare
}

func readAll(t *testing.T, s *Snapshot, path string) string {
	t.Helper()
	b, err := s.ReadFile(path)
	if err != nil {
		t.Fatalf("ReadFile(%q): %v", path, err)
	}
	return string(b)
}

func TestFetchRefs(t *testing.T) {
	t.Parallel()
	url, bare := serve(t, map[string]string{"hearth.json": `{"v":1}`, "www/index.html": "one"}, "v1.0.0")
	first := testsvc.GitRun(t, bare, "rev-parse", "main")
	second := testsvc.GitCommit(t, bare, map[string]string{"hearth.json": `{"v":2}`, "run.sh": "#!/bin/sh"}, "v2.0.0")
	testsvc.GitRun(t, bare, "branch", "beta", first)
	testsvc.GitRun(t, bare, "tag", "v0.9.0", first) // lightweight

	tests := []struct {
		ref, commit, manifest string
	}{
		{"v1.0.0", first, `{"v":1}`},
		{"refs/tags/v1.0.0", first, `{"v":1}`},
		{"v0.9.0", first, `{"v":1}`},
		{"v2.0.0", second, `{"v":2}`},
		{"main", second, `{"v":2}`},
		{"beta", first, `{"v":1}`},
		{"", second, `{"v":2}`},
		{first, first, `{"v":1}`}, // a commit no ref points at... but beta does
		{strings.ToUpper(second), second, `{"v":2}`},
	}
	for _, tt := range tests {
		t.Run("ref="+tt.ref, func(t *testing.T) {
			t.Parallel()
			snap, err := Fetch(context.Background(), url, tt.ref, local)
			if err != nil {
				t.Fatal(err)
			}
			if snap.Commit != tt.commit {
				t.Errorf("commit %s, want %s", snap.Commit, tt.commit)
			}
			if got := readAll(t, snap, "hearth.json"); got != tt.manifest {
				t.Errorf("hearth.json = %q, want %q", got, tt.manifest)
			}
			if want := testsvc.GitRun(t, bare, "rev-parse", tt.commit+"^{tree}"); snap.Tree != want {
				t.Errorf("tree %s, want %s", snap.Tree, want)
			}
		})
	}
}

func TestFetchUnadvertisedCommit(t *testing.T) {
	t.Parallel()
	url, bare := serve(t, map[string]string{"a.txt": "old"})
	old := testsvc.GitRun(t, bare, "rev-parse", "main")
	testsvc.GitCommit(t, bare, map[string]string{"a.txt": "new"})
	snap, err := Fetch(context.Background(), url, old, local)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, snap, "a.txt"); snap.Commit != old || got != "old" {
		t.Fatalf("commit %s a.txt=%q, want %s old", snap.Commit, got, old)
	}
}

func TestFetchFiles(t *testing.T) {
	t.Parallel()
	url, bare := serve(t, nil)
	testsvc.GitCommitFunc(t, bare, func(work string) {
		write(t, filepath.Join(work, "bin", "start"), "#!/bin/sh\n", 0o755)
		write(t, filepath.Join(work, "README"), "hello", 0o644)
	})
	snap, err := Fetch(context.Background(), url, "main", local)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]os.FileMode{}
	for _, f := range snap.Files {
		got[f.Path] = f.Mode
	}
	if len(got) != 2 || got["bin/start"] != 0o755 || got["README"] != 0o644 {
		t.Fatalf("files %v", got)
	}
	if snap.Size != int64(len("#!/bin/sh\n")+len("hello")) {
		t.Fatalf("size %d", snap.Size)
	}
}

func write(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func TestListRefs(t *testing.T) {
	t.Parallel()
	url, bare := serve(t, map[string]string{"a": "1"}, "v1.0.0")
	first := testsvc.GitRun(t, bare, "rev-parse", "main")
	second := testsvc.GitCommit(t, bare, map[string]string{"a": "2"}, "v1.1.0-beta.1")
	refs, err := ListRefs(context.Background(), url, local)
	if err != nil {
		t.Fatal(err)
	}
	if refs.DefaultBranch != "main" || refs.Head != second {
		t.Errorf("default branch %q head %s, want main %s", refs.DefaultBranch, refs.Head, second)
	}
	want := []Ref{{"v1.0.0", "refs/tags/v1.0.0", first}, {"v1.1.0-beta.1", "refs/tags/v1.1.0-beta.1", second}}
	if len(refs.Tags) != 2 || refs.Tags[0] != want[0] || refs.Tags[1] != want[1] {
		t.Errorf("tags %+v, want %+v", refs.Tags, want)
	}
	if len(refs.Branches) != 1 || refs.Branches[0].Commit != second {
		t.Errorf("branches %+v", refs.Branches)
	}
}

func TestFetchRefusesByAddress(t *testing.T) {
	t.Parallel()
	url, _ := serve(t, map[string]string{"a": "1"})
	port := url[strings.LastIndex(url, ":")+1:]
	port = port[:strings.Index(port, "/")]
	var redirectTo atomic.Value
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, redirectTo.Load().(string)+r.URL.Path+"?"+r.URL.RawQuery, http.StatusFound)
	}))
	t.Cleanup(redirector.Close)
	redirAddr := netip.MustParseAddrPort(strings.TrimPrefix(redirector.URL, "http://"))
	// The redirector stands for a public server; the Git server stays private.
	public := Policy{Timeout: 10 * time.Second, trusted: func(ap netip.AddrPort) bool { return ap == redirAddr }}

	tests := []struct {
		name, url, redirect string
		policy              Policy
	}{
		{"loopback", url, "", Policy{}},
		{"localhost", "http://localhost:" + port + "/app.git", "", Policy{}},
		{"redirect to loopback", redirector.URL + "/app.git", "http://127.0.0.1:" + port, public},
		{"redirect to metadata", redirector.URL + "/app.git", "http://169.254.169.254", public},
		{"rebinding at dial time", url, "", rebinding()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.redirect != "" {
				redirectTo.Store(tt.redirect)
			}
			_, err := Fetch(context.Background(), tt.url, "main", tt.policy)
			if !errors.Is(err, ErrAddress) {
				t.Fatalf("Fetch: %v, want ErrAddress", err)
			}
			t.Log(err)
			if _, err := ListRefs(context.Background(), tt.url, tt.policy); !errors.Is(err, ErrAddress) {
				t.Fatalf("ListRefs: %v, want ErrAddress", err)
			}
		})
	}
}

// rebinding returns a policy under which 127.0.0.1 passes the URL check but
// not the check at connection time, as when DNS answers differently the
// second time.
func rebinding() Policy {
	var calls atomic.Int32
	return Policy{Timeout: 10 * time.Second, trusted: func(netip.AddrPort) bool { return calls.Add(1) == 1 }}
}

func TestFetchTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); hang.Close() })
	start := time.Now()
	_, err := Fetch(context.Background(), hang.URL+"/app.git", "main", Policy{AllowPrivate: true, Timeout: 300 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Fetch from a silent server: %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Fetch took %v with a 300ms timeout", d)
	}
}

func TestFetchRefusesGitProtocol(t *testing.T) {
	t.Parallel()
	bare := testsvc.GitRepo(t, map[string]string{"a": "1"}, "v1.0.0")
	url := testsvc.GitDaemon(t, filepath.Dir(bare)) + "/app.git"
	if _, err := Fetch(context.Background(), url, "v1.0.0", local); !errors.Is(err, ErrScheme) {
		t.Fatalf("Fetch(%s): %v, want ErrScheme", url, err)
	}
}

func TestFetchNotARepository(t *testing.T) {
	t.Parallel()
	url, _ := serve(t, map[string]string{"a": "1"})
	_, err := Fetch(context.Background(), strings.TrimSuffix(url, "app.git")+"nothing.git", "main", local)
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Fetch of a missing repository: %v, want ErrUnreachable", err)
	}
	t.Log(err)
}

func TestListRefsBoundsAdvertisement(t *testing.T) {
	t.Parallel()
	endless := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-git-upload-pack-advertisement")
		_, _ = w.Write([]byte("001e# service=git-upload-pack\n0000"))
		_, _ = w.Write(pktLine(strings.Repeat("1", 40) + " refs/heads/a\x00ofs-delta\n"))
		line := pktLine(strings.Repeat("1", 40) + " refs/heads/b\n")
		for r.Context().Err() == nil {
			if _, err := w.Write(line); err != nil {
				return
			}
		}
	}))
	t.Cleanup(endless.Close)
	_, err := ListRefs(context.Background(), endless.URL+"/app.git", Policy{AllowPrivate: true, MaxFetchBytes: 1 << 20, Timeout: 20 * time.Second})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("ListRefs of an endless advertisement: %v, want ErrTooLarge", err)
	}
}

func pktLine(s string) []byte {
	return []byte(fmt.Sprintf("%04x%s", len(s)+4, s))
}
