package testsvc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGitServers(t *testing.T) {
	t.Parallel()
	bare := GitRepo(t, map[string]string{"index.html": "<h1>hi</h1>", "js/app.js": "1"}, "v1.0.0")
	second := GitCommit(t, bare, map[string]string{"index.html": "<h1>v2</h1>"}, "v2.0.0")
	root, name := filepath.Dir(bare), filepath.Base(bare)
	servers := map[string]string{
		"http":      GitHTTP(t, root),
		"gitdaemon": GitDaemon(t, root),
	}
	for kind, base := range servers {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			url := base + "/" + name
			refs := GitRun(t, "", "ls-remote", url)
			for _, want := range []string{"refs/heads/main", "refs/tags/v1.0.0", "refs/tags/v2.0.0^{}", second} {
				if !strings.Contains(refs, want) {
					t.Errorf("ls-remote %s lacks %q:\n%s", url, want, refs)
				}
			}
			dir := filepath.Join(t.TempDir(), "clone")
			GitRun(t, "", "clone", "--quiet", "--depth=1", "--branch=v1.0.0", url, dir)
			got, err := os.ReadFile(filepath.Join(dir, "js", "app.js"))
			if err != nil || string(got) != "1" {
				t.Errorf("clone of v1.0.0: js/app.js = %q, %v", got, err)
			}
		})
	}
}
