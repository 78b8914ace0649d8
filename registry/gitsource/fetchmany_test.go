package gitsource

import (
	"context"
	"errors"
	"testing"

	"github.com/hearth-cloud/hearth/internal/testsvc"
)

func TestFetchMany(t *testing.T) {
	t.Parallel()
	url, bare := serve(t, map[string]string{"hearth.json": `{"v":1}`, "www/index.html": "one"}, "v1.0.0")
	first := testsvc.GitRun(t, bare, "rev-parse", "main")
	second := testsvc.GitCommit(t, bare, map[string]string{"hearth.json": `{"v":2}`}, "v2.0.0")
	testsvc.GitCommitFunc(t, bare, func(work string) {
		testsvc.GitRun(t, work, "submodule", "add", "--quiet", url, "sub") // refused tree
	}, "v3.0.0")

	got, err := FetchMany(context.Background(), url, []string{"v1.0.0", "v2.0.0", "v3.0.0", "v9.9.9", "main", "v1.0.0"}, local)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		commit, manifest string
		err              error
	}{
		{first, `{"v":1}`, nil},
		{second, `{"v":2}`, nil},
		{"", "", ErrSubmodule},
		{"", "", ErrRefNotFound},
		{"", "", ErrSubmodule}, // main is at v3.0.0
		{first, `{"v":1}`, nil},
	}
	for i, w := range want {
		g := got[i]
		if w.err != nil {
			if !errors.Is(g.Err, w.err) {
				t.Errorf("%s: error %v, want %v", g.Ref, g.Err, w.err)
			}
			continue
		}
		if g.Err != nil || g.Snap.Commit != w.commit || readAll(t, g.Snap, "hearth.json") != w.manifest {
			t.Errorf("%s: %+v %v", g.Ref, g.Snap, g.Err)
			continue
		}
		if tree := testsvc.GitRun(t, bare, "rev-parse", w.commit+"^{tree}"); g.Snap.Tree != tree {
			t.Errorf("%s: tree %s, want %s", g.Ref, g.Snap.Tree, tree)
		}
	}
	if _, err := FetchMany(context.Background(), url, []string{"v1.0.0"}, Policy{}); !errors.Is(err, ErrAddress) {
		t.Errorf("loopback without AllowPrivate: %v", err)
	}
}

func TestRepoListsOnceFetchesTwice(t *testing.T) {
	t.Parallel()
	url, bare := serve(t, map[string]string{"hearth.json": `{"v":1}`}, "v1.0.0")
	second := testsvc.GitCommit(t, bare, map[string]string{"hearth.json": `{"v":2}`}, "v2.0.0")
	r, err := Open(t.Context(), url, local)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if refs := r.Refs(); len(refs.Tags) != 2 || refs.DefaultBranch != "main" || refs.Head != second {
		t.Fatalf("refs %+v", refs)
	}
	// Later tags are not seen: the refs are the ones listed by Open.
	testsvc.GitCommit(t, bare, map[string]string{"hearth.json": `{"v":3}`}, "v3.0.0")
	for _, c := range []struct{ ref, manifest string }{{"v1.0.0", `{"v":1}`}, {"v2.0.0", `{"v":2}`}} {
		got, err := r.FetchMany(t.Context(), []string{c.ref, "v3.0.0"})
		if err != nil || got[0].Err != nil || readAll(t, got[0].Snap, "hearth.json") != c.manifest {
			t.Fatalf("%s: %+v, %v", c.ref, got, err)
		}
		if !errors.Is(got[1].Err, ErrRefNotFound) {
			t.Fatalf("v3.0.0, tagged after Open: %v", got[1].Err)
		}
	}
	if _, err := Open(t.Context(), url, Policy{}); !errors.Is(err, ErrAddress) {
		t.Errorf("loopback without AllowPrivate: %v", err)
	}
}
