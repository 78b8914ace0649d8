package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// appRSSTarget is the target of the RSS growth per instance with the app installed, in KB.
const appRSSTarget = 100

// apps1000Result is what the apps1000 phase found.
type apps1000Result struct {
	took    figure // installing on every instance and one request each
	perInst figure // RSS growth per instance, KB
	trees   figure // entries under {data}/apps/trees
	bytes   figure // bytes of the files under it
}

// phaseApps1000 installs the fixture app on many instances of a fresh hearth through the admin
// API, requests one file from each, and reports the memory per instance and what the disk
// holds of the app's tree (once, however many instances installed it).
func (b *bench) phaseApps1000(ctx context.Context) {
	r := b.apps1000(ctx)
	na := figure{note: "n/a"}
	cells := func(a figure) [numCols]figure { return [numCols]figure{a, na, na} }
	n := b.cfg.appInsts
	took := row{heads: &serveCols, verb: "%.1f", cells: cells(r.took),
		metric: fmt.Sprintf("apps%d: add %d instances + install the app + 1 request each, %d callers (s)", n, n, b.cfg.clients)}
	mem := row{heads: &serveCols, metric: "  RSS growth per instance with the app (KB)", verb: "%.1f", cells: cells(r.perInst)}
	withTarget(&mem, fmt.Sprintf("a < %d KB", appRSSTarget), func(a float64) bool { return a < appRSSTarget })
	trees := row{heads: &serveCols, metric: fmt.Sprintf("  app trees on disk for %d installs", n+1), verb: "%.0f", cells: cells(r.trees)}
	withTarget(&trees, "= 1", func(a float64) bool { return a == 1 })
	size := row{heads: &serveCols, metric: "  bytes of the stored trees", verb: "%.0f", cells: cells(r.bytes)}
	b.rep.rows = append(b.rep.rows, took, mem, trees, size)
}

// apps1000 runs the phase on a fresh hearth.
func (b *bench) apps1000(ctx context.Context) apps1000Result {
	fail := func(metric string, err error) apps1000Result {
		f := b.rep.problemOf("hearth", "apps1000: "+metric, err)
		return apps1000Result{f, f, f, f}
	}
	repo, err := b.gitRepoURL(ctx, b.cfg.fixture)
	if err != nil {
		return fail("Git server", err)
	}
	h, err := b.startAppHearth(ctx, "hearth apps1000")
	if err != nil {
		return fail("start", err)
	}
	defer h.proc.stop()
	want, err := os.ReadFile(filepath.Join(b.cfg.fixture, filepath.FromSlash(appFile)))
	if err != nil {
		return fail("read the fixture", err)
	}
	// One instance first, so that what every instance shares (the tree, code paths, pools)
	// is in the "before" figure.
	if err := b.installAndFetch(ctx, h, "warm-up", repo, want); err != nil {
		return fail("warm-up instance", err)
	}
	pid := h.proc.cmd.Process.Pid
	sleepCtx(ctx, b.cfg.settle)
	before, err := rssBytes(pid)
	if err != nil {
		return fail("memory", err)
	}
	fdsBefore := openFiles(pid)
	b.progress("adding %d instances, each installing the app and serving one request", b.cfg.appInsts)
	start := time.Now()
	if err := b.eachApp(ctx, h, repo, want); err != nil {
		return fail("install", err)
	}
	var r apps1000Result
	r.took = val(time.Since(start).Seconds())
	sleepCtx(ctx, b.cfg.settle)
	after, err := rssBytes(pid)
	if err != nil {
		r.perInst = b.rep.problemOf("hearth", "apps1000: memory", err)
	} else {
		r.perInst = val(float64(after-before) / float64(b.cfg.appInsts) / 1024)
		b.rep.remark("apps%d: VmRSS %.1f MB before, %.1f MB after (after %v settling); open files %d before, %d after",
			b.cfg.appInsts, float64(before)/1e6, float64(after)/1e6, b.cfg.settle, fdsBefore, openFiles(pid))
	}
	treesDir := filepath.Join(h.data, "apps", "trees")
	entries, err := os.ReadDir(treesDir)
	if err != nil {
		r.trees = b.rep.problemOf("hearth", "apps1000: list "+treesDir, err)
		r.bytes = r.trees
		return r
	}
	r.trees = val(float64(len(entries)))
	size, files, err := treeBytes(treesDir)
	if err != nil {
		r.bytes = b.rep.problemOf("hearth", "apps1000: size of "+treesDir, err)
	} else {
		r.bytes = val(float64(size))
		b.rep.remark("apps%d: %s holds %d entries, %d files, %d bytes", b.cfg.appInsts, treesDir, len(entries), files, size)
	}
	return r
}

// installAndFetch adds the instance name, installs the app on it and checks one request.
func (b *bench) installAndFetch(ctx context.Context, h *appHearth, name, repo string, want []byte) error {
	domain := h.domain(name)
	if _, err := h.install(ctx, b.c, domain, repo); err != nil {
		return err
	}
	_, _, err := fetchExpect(ctx, b.c, h.public, appSlug+"."+domain, appFile, want)
	return err
}

// eachApp runs installAndFetch for b.cfg.appInsts instances with b.cfg.clients concurrent
// callers; it stops at the first failure.
func (b *bench) eachApp(ctx context.Context, h *appHearth, repo string, want []byte) error {
	return b.concurrently(ctx, b.cfg.appInsts, 20*time.Minute, func(ctx context.Context, i int) error {
		return b.installAndFetch(ctx, h, fmt.Sprintf("i%06d", i), repo, want)
	})
}

// treeBytes adds up the sizes of the regular files under dir.
func treeBytes(dir string) (size int64, files int, err error) {
	err = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		size += info.Size()
		files++
		return nil
	})
	return size, files, err
}

// openFiles counts a process's open file descriptors; -1 when unknown.
func openFiles(pid int) int {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(fds)
}
