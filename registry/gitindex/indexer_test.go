package gitindex

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/internal/testsvc"
	"github.com/hearth-cloud/hearth/registry/archive"
	"github.com/hearth-cloud/hearth/registry/gitsource"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

func TestIndexChannelsAndReindex(t *testing.T) {
	t.Parallel()
	bare := testsvc.GitRepo(t, appFiles("notes", "1.0.0"), "v1.0.0", "nightly", "v1.0", strings.Repeat("v", 200))
	testsvc.GitCommit(t, bare, appFiles("notes", "1.1.0-beta.1"), "v1.1.0-beta.1", "<b>1.1.0</b>", "1.1.0-rc.1")
	testsvc.GitCommit(t, bare, appFiles("notes", "1.1.0"), "1.1.0")
	head := testsvc.GitCommit(t, bare, appFiles("notes", "1.2.0-dev"))
	url := serve(t, bare)
	ix, remote, store := newIndexer(t)

	res := index(t, ix, url, nil)
	if len(res.Problems) != 0 {
		t.Fatalf("problems: %v", res.Problems)
	}
	if got, want := tagsOf(res.Versions), []string{"v1.0.0", "v1.1.0-beta.1", "1.1.0"}; !slices.Equal(got, want) {
		t.Fatalf("versions %v, want %v", got, want)
	}
	wantChannels := []manifest.Channel{manifest.ChannelStable, manifest.ChannelBeta, manifest.ChannelStable}
	for i, v := range res.Versions {
		if v.Channel != wantChannels[i] || v.Version != strings.TrimPrefix(v.Tag, "v") || len(v.Commit) != 40 || len(v.Tree) != 40 {
			t.Errorf("version %d: %+v", i, v)
		}
		checkArchive(t, store, v)
	}
	if res.Dev == nil || res.Dev.Commit != head || res.Dev.Channel != manifest.ChannelDev || res.Dev.Version != "1.2.0-dev" {
		t.Fatalf("dev %+v, want commit %s", res.Dev, head)
	}
	if res.Slug != "notes" || res.Refs[SlugKey] != "notes" || res.Refs["refs/heads/main"] != head {
		t.Fatalf("slug %q, refs %v", res.Slug, res.Refs)
	}
	if _, fetched := remote.take(); len(fetched) != 4 {
		t.Fatalf("fetched %v, want the 3 release tags and main", fetched)
	}

	start := time.Now()
	again := index(t, ix, url, res.Refs)
	t.Logf("re-index of an unchanged repository: %v", time.Since(start))
	lists, fetched := remote.take()
	if !again.Unchanged || len(again.Versions) != 0 || again.Dev != nil || len(again.Problems) != 0 {
		t.Fatalf("re-index: %+v", again)
	}
	if lists != 1 || len(fetched) != 0 {
		t.Fatalf("re-index listed the refs %d times and fetched %v; want 1 and none", lists, fetched)
	}
}

// checkArchive checks that v's archive was stored and reads back.
func checkArchive(t *testing.T, store DirArchives, v Version) {
	t.Helper()
	path, err := store.Path(v.ArchiveSHA256)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("archive of %s: %v", v.Tag, err)
	}
	if int64(len(data)) != v.ArchiveSize {
		t.Fatalf("archive of %s: %d bytes, recorded %d", v.Tag, len(data), v.ArchiveSize)
	}
	if _, err := archive.Read(bytes.NewReader(data), v.ArchiveSHA256, gitsource.Policy{}); err != nil {
		t.Fatalf("archive of %s does not read back: %v", v.Tag, err)
	}
}

func TestIndexNewTagOnly(t *testing.T) {
	t.Parallel()
	bare := testsvc.GitRepo(t, appFiles("notes", "1.0.0"), "v1.0.0")
	url := serve(t, bare)
	ix, remote, _ := newIndexer(t)
	first := index(t, ix, url, nil)
	remote.take()

	testsvc.GitCommit(t, bare, appFiles("notes", "1.2.0"), "v1.2.0")
	res := index(t, ix, url, first.Refs)
	if got := tagsOf(res.Versions); !slices.Equal(got, []string{"v1.2.0"}) {
		t.Fatalf("versions %v, want only v1.2.0", got)
	}
	if _, fetched := remote.take(); !slices.Equal(fetched, []string{"refs/heads/main", "refs/tags/v1.2.0"}) {
		t.Fatalf("fetched %v", fetched)
	}
	if res.Unchanged || res.Dev == nil || res.Dev.Version != "1.2.0" {
		t.Fatalf("result %+v", res)
	}
}

func TestIndexProblems(t *testing.T) {
	t.Parallel()
	broken := appFiles("notes", "1.1.0")
	broken["hearth.json"] = strings.Replace(broken["hearth.json"], "io.hearth.notes", "Not A Doctype", 1)
	noManifest := map[string]string{"index.html": "hi"}

	bare := testsvc.GitRepo(t, appFiles("notes", "1.0.0"), "v1.0.0")
	testsvc.GitCommit(t, bare, broken, "v1.1.0")
	testsvc.GitCommit(t, bare, appFiles("notes", "1.9.0"), "v2.0.0")
	testsvc.GitCommit(t, bare, noManifest, "v2.1.0")
	testsvc.GitCommit(t, bare, appFiles("notes", "2.2.0"), "v2.2.0", "2.2.0")
	testsvc.GitCommit(t, bare, appFiles("notes", "2.3.0"), "v2.3.0")
	url := serve(t, bare)
	ix, _, _ := newIndexer(t)
	res := index(t, ix, url, nil)

	if got := tagsOf(res.Versions); !slices.Equal(got, []string{"v1.0.0", "2.2.0", "v2.3.0"}) {
		t.Fatalf("versions %v", got)
	}
	for tag, want := range map[string]string{
		"v1.1.0": "permissions.notes.doctype: ",
		"v2.0.0": `version: "1.9.0" is not the tag's version "2.0.0"`,
		"v2.1.0": "hearth.json: missing",
		"v2.2.0": "version 2.2.0 is already tag 2.2.0",
	} {
		p := problemFor(t, res, tag)
		if !strings.Contains(p.Message, want) || p.Retry {
			t.Errorf("%s: problem %q (retry %v), want it to say %q", tag, p.Message, p.Retry, want)
		}
	}
	if s := problemFor(t, res, "v1.1.0").String(); !strings.HasPrefix(s, "v1.1.0: permissions.notes.doctype: ") {
		t.Errorf("problem reads %q", s)
	}
	// Refused tags are recorded too: they are not fetched again.
	if again := index(t, ix, url, res.Refs); !again.Unchanged {
		t.Fatalf("re-index after problems: %+v", again)
	}
}

func TestIndexMovedTag(t *testing.T) {
	t.Parallel()
	bare := testsvc.GitRepo(t, appFiles("notes", "1.0.0"), "v1.0.0")
	url := serve(t, bare)
	ix, remote, _ := newIndexer(t)
	first := index(t, ix, url, nil)
	old := first.Refs["refs/tags/v1.0.0"]

	moved := testsvc.GitCommit(t, bare, appFiles("notes", "1.0.0"))
	testsvc.GitRun(t, bare, "tag", "-f", "-a", "-m", "moved", "v1.0.0", moved)
	remote.take()
	res := index(t, ix, url, first.Refs)
	p := problemFor(t, res, "v1.0.0")
	if !strings.Contains(p.Message, "must not move") || !strings.Contains(p.Message, moved) {
		t.Fatalf("problem %q", p.Message)
	}
	if len(res.Versions) != 0 || res.Unchanged || res.Refs["refs/tags/v1.0.0"] != old {
		t.Fatalf("result %+v", res)
	}
	if _, fetched := remote.take(); slices.Contains(fetched, "refs/tags/v1.0.0") {
		t.Fatalf("the moved tag was fetched: %v", fetched)
	}
}

func TestIndexTwoSlugs(t *testing.T) {
	t.Parallel()
	bare := testsvc.GitRepo(t, appFiles("notes", "1.0.0"), "v1.0.0")
	testsvc.GitCommit(t, bare, appFiles("jotter", "1.1.0"), "v1.1.0")
	url := serve(t, bare)
	ix, _, _ := newIndexer(t)
	res := index(t, ix, url, nil)
	// A new repository takes its newest release's slug.
	if res.Slug != "jotter" || !slices.Equal(tagsOf(res.Versions), []string{"v1.1.0"}) {
		t.Fatalf("slug %q, versions %v", res.Slug, tagsOf(res.Versions))
	}
	if p := problemFor(t, res, "v1.0.0"); !strings.Contains(p.Message, `slug: "notes" is not the repository's slug "jotter"`) {
		t.Fatalf("problem %q", p.Message)
	}
	// Later runs keep the slug recorded in Refs.
	testsvc.GitCommit(t, bare, appFiles("notes", "1.2.0"), "v1.2.0")
	next := index(t, ix, url, res.Refs)
	if len(next.Versions) != 0 || next.Slug != "jotter" {
		t.Fatalf("next run: %+v", next)
	}
	problemFor(t, next, "v1.2.0")
	if next.Dev != nil {
		t.Fatalf("dev with another slug was indexed: %+v", next.Dev)
	}
}

func TestIndexMaxTags(t *testing.T) {
	t.Parallel()
	bare := testsvc.GitRepo(t, appFiles("notes", "1.0.0"), "v1.0.0")
	testsvc.GitCommit(t, bare, appFiles("notes", "1.1.0"), "v1.1.0")
	testsvc.GitCommit(t, bare, appFiles("notes", "1.2.0"), "v1.2.0")
	url := serve(t, bare)
	ix, _, _ := newIndexer(t)
	ix.MaxTags = 2
	res := index(t, ix, url, nil)
	if got := tagsOf(res.Versions); !slices.Equal(got, []string{"v1.0.0", "v1.1.0"}) {
		t.Fatalf("versions %v", got)
	}
	if p := problemFor(t, res, ""); !p.Retry || !strings.Contains(p.Message, "3 new release tags") {
		t.Fatalf("problem %+v", p)
	}
	next := index(t, ix, url, res.Refs)
	if got := tagsOf(next.Versions); !slices.Equal(got, []string{"v1.2.0"}) || len(next.Problems) != 0 {
		t.Fatalf("next run: versions %v, problems %v", got, next.Problems)
	}
}

func TestIndexUnreachable(t *testing.T) {
	t.Parallel()
	ix, _, _ := newIndexer(t)
	if _, err := ix.Index(t.Context(), "http://127.0.0.1:1/app.git", nil); err == nil {
		t.Fatal("want an error for an unreachable repository")
	}
	var zero Indexer // the safe default policy refuses loopback
	if _, err := zero.Index(t.Context(), "http://127.0.0.1:1/app.git", nil); err == nil {
		t.Fatal("want an error for a loopback URL under the default policy")
	}
}

func TestReleaseVersion(t *testing.T) {
	t.Parallel()
	for tag, want := range map[string]string{
		"v1.2.3": "1.2.3", "1.2.3": "1.2.3", "v0.0.1-beta.4": "0.0.1-beta.4",
		"v1.2": "", "v01.2.3": "", "1.2.3-rc.1": "", "1.2.3-beta": "", "1.2.3-beta.01": "",
		"V1.2.3": "", "v1.2.3\n": "", "<i>1.2.3</i>": "", "vv1.2.3": "", "1.2.3+build": "",
		strings.Repeat("9", 70) + ".0.0": "",
	} {
		v, ok := releaseVersion(tag)
		if got := ""; ok {
			got = v.String()
			if got != want {
				t.Errorf("%q: %q, want %q", tag, got, want)
			}
		} else if want != "" {
			t.Errorf("%q: not a release tag, want %q", tag, want)
		}
	}
}

func TestDirArchives(t *testing.T) {
	t.Parallel()
	store := DirArchives{Dir: t.TempDir() + "/archives"}
	sum := strings.Repeat("ab", 32)
	for range 2 {
		if err := store.Put(t.Context(), sum, []byte("data")); err != nil {
			t.Fatal(err)
		}
	}
	path, _ := store.Path(sum)
	if data, err := os.ReadFile(path); err != nil || string(data) != "data" {
		t.Fatalf("read back %q, %v", data, err)
	}
	for _, bad := range []string{"", "../x", strings.Repeat("AB", 32), sum + "/"} {
		if err := store.Put(t.Context(), bad, nil); err == nil {
			t.Errorf("Put(%q) succeeded", bad)
		}
		if err := store.PutAll(t.Context(), map[string][]byte{bad: nil}); err == nil {
			t.Errorf("PutAll(%q) succeeded", bad)
		}
	}
	other := strings.Repeat("cd", 32)
	if err := store.PutAll(t.Context(), map[string][]byte{sum: []byte("not again"), other: []byte("other")}); err != nil {
		t.Fatal(err)
	}
	for sha, want := range map[string]string{sum: "data", other: "other"} {
		path, _ := store.Path(sha)
		if data, err := os.ReadFile(path); err != nil || string(data) != want || !store.Has(sha) {
			t.Errorf("%s after PutAll: %q, %v", sha[:4], data, err)
		}
	}
	entries, _ := os.ReadDir(store.Dir)
	if len(entries) != 2 {
		t.Fatalf("archive dir holds %d entries, want 2 (no temporary file left)", len(entries))
	}
}

func TestProblemString(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ tag, want string }{
		{"", "m"}, {"v1.0.0", "v1.0.0: m"}, {"feature/x", "feature/x: m"},
		{"<b>\x1b", `"<b>\x1b": m`}, {strings.Repeat("a", 70), `"` + strings.Repeat("a", 64) + `": m`},
	} {
		if got := (Problem{Tag: c.tag, Message: "m"}).String(); got != c.want {
			t.Errorf("%q: %q, want %q", c.tag, got, c.want)
		}
	}
}
