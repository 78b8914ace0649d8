package gitindex

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/internal/testsvc"
)

// BenchmarkIndex200Tags indexes a repository of 200 release tags from a
// real git http-backend, times git clone --mirror of the same URL, and
// reports both, their ratio and the time of an unchanged re-index.
// GITINDEX_BENCH_CONCURRENCY overrides the indexer's fetch concurrency.
func BenchmarkIndex200Tags(b *testing.B) {
	const tags = 200
	bare := manyTagsRepo(b, tags)
	url := serve(b, bare)
	var index, mirror, reindex time.Duration
	for i := 0; i < b.N; i++ {
		ix, _, _ := newIndexer(b)
		if c := os.Getenv("GITINDEX_BENCH_CONCURRENCY"); c != "" {
			fmt.Sscan(c, &ix.Concurrency)
		}
		start := time.Now()
		res, err := ix.Index(context.Background(), url, nil)
		index += time.Since(start)
		if err != nil || len(res.Versions) != tags || len(res.Problems) != 0 {
			b.Fatalf("index: %v, %d versions, problems %v", err, len(res.Versions), res.Problems)
		}
		start = time.Now()
		again, err := ix.Index(context.Background(), url, res.Refs)
		reindex += time.Since(start)
		if err != nil || !again.Unchanged {
			b.Fatalf("re-index: %v, %+v", err, again)
		}
		start = time.Now()
		testsvc.GitRun(b, "", "clone", "--quiet", "--mirror", url, filepath.Join(b.TempDir(), "m.git"))
		mirror += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(float64(index.Milliseconds())/n, "index-ms")
	b.ReportMetric(float64(mirror.Milliseconds())/n, "mirror-ms")
	b.ReportMetric(float64(index)/float64(mirror), "index/mirror")
	b.ReportMetric(float64(reindex.Microseconds())/n/1000, "reindex-ms")
}

// manyTagsRepo makes a bare repository of n commits, each an app version
// 1.i.0 tagged v1.i.0 (annotated), with one git fast-import.
func manyTagsRepo(b testing.TB, n int) string {
	b.Helper()
	bare := filepath.Join(b.TempDir(), "app.git")
	testsvc.GitRun(b, "", "init", "--quiet", "--bare", "--initial-branch=main", bare)
	var stream bytes.Buffer
	data := func(s string) { fmt.Fprintf(&stream, "data %d\n%s\n", len(s), s) }
	for i := 1; i <= n; i++ {
		version := fmt.Sprintf("1.%d.0", i)
		fmt.Fprintf(&stream, "commit refs/heads/main\nmark :%d\ncommitter T <t@hearth.invalid> %d +0000\n", i, 1767225600+i)
		data("release " + version)
		if i > 1 {
			fmt.Fprintf(&stream, "from :%d\n", i-1)
		}
		files := appFiles("notes", version)
		names := make([]string, 0, len(files))
		for name := range files {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			fmt.Fprintf(&stream, "M 100644 inline %s\n", name)
			data(files[name])
		}
		fmt.Fprintf(&stream, "tag v%s\nfrom :%d\ntagger T <t@hearth.invalid> %d +0000\n", version, i, 1767225600+i)
		data("release " + version)
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = bare
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	cmd.Stdin = &stream
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("git fast-import: %v\n%s", err, out)
	}
	return bare
}
