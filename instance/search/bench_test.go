package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// words makes the text of the benchmarks' documents: a vocabulary of 5,000 words, so that
// queries match a realistic share of the documents.
func words(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "w%d", r.IntN(5000))
	}
	return b.String()
}

// benchDocs makes notes of a 6-word title, content words long, and two tags.
func benchDocs(from, n, content int, r *rand.Rand) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"_id": fmt.Sprintf("doc-%07d", from+i), "title": words(r, 6), "content": words(r, content),
			"tags": []any{words(r, 1), words(r, 1)}, "n": i}
	}
	return out
}

// fill writes n documents with content words of content in bulks of 1,000.
func (e *env) fill(b testing.TB, instance string, n, content int) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < n; i += 1000 {
		e.put(b, instance, notesType, benchDocs(i, min(1000, n-i), content, r)...)
	}
}

// BenchmarkIndexing measures indexing through the changes feed: documents written first, then
// the indexer catches up with the feed from the beginning (the time to fill the store is not
// counted);
// the documents are notes of about 40 words (content 30) and 70 words (content 60).
func BenchmarkIndexing(b *testing.B) {
	for _, content := range []int{30, 60} {
		b.Run(fmt.Sprintf("words=%d", content+10), func(b *testing.B) { benchIndexing(b, content) })
	}
}

func benchIndexing(b *testing.B, content int) {
	const n = 20_000
	e := newEnv(b)
	e.fill(b, alice, n, content)
	b.ResetTimer()
	var total, cpu time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		e.dir = b.TempDir()
		ix := e.indexer(b, nil)
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		ix.Notify(alice, notesType)
		for ix.Indexed() < n {
			time.Sleep(time.Millisecond)
		}
		total += time.Since(start)
		cpu += cpuTime() - cpu0
		b.StopTimer()
		_ = ix.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "docs/s")
	// On a shared machine the wall clock says more about the neighbours than about the
	// indexer: the CPU time per document is the steadier figure.
	b.ReportMetric(float64(n*b.N)/cpu.Seconds(), "docs/cpu-s")
}

// cpuTime is the CPU time the process used so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSearch100k measures searches over 100,000 documents: one- and two-word queries, a
// phrase and a prefix, each with highlighted fragments, and reports the 50th and 99th
// percentiles.
func BenchmarkSearch100k(b *testing.B) {
	const n = 100_000
	e := newEnv(b)
	e.fill(b, alice, n, 30)
	ix := e.indexer(b, nil)
	ix.Notify(alice, notesType)
	for ix.Indexed() < n {
		time.Sleep(10 * time.Millisecond)
	}
	rd := Reader{Instance: alice, Doctypes: []string{notesType, contactsType}}
	r := rand.New(rand.NewPCG(3, 4))
	kinds := []string{"word", "two-words", "phrase", "prefix"}
	query := func(kind int) string {
		switch kind {
		case 0:
			return words(r, 1)
		case 1:
			return words(r, 2)
		case 2:
			return `"` + words(r, 2) + `"`
		default:
			return fmt.Sprintf("w%d*", 100+r.IntN(400)) // 11 terms each
		}
	}
	var lat []time.Duration
	byKind := make([][]time.Duration, len(kinds))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		kind := i % len(kinds)
		q := query(kind)
		start := time.Now()
		if _, err := ix.Search(context.Background(), rd, Params{Query: q}); err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		lat = append(lat, d)
		byKind[kind] = append(byKind[kind], d)
	}
	b.StopTimer()
	reportPercentiles(b, lat, "search")
	for k, l := range byKind {
		if len(l) > 0 {
			slices.Sort(l)
			b.Logf("%s: p50 %v p99 %v", kinds[k], l[len(l)/2], l[int(0.99*float64(len(l)-1))])
		}
	}
}

func reportPercentiles(b *testing.B, lat []time.Duration, what string) {
	slices.Sort(lat)
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(p(0.5), what+"-p50-ms")
	b.ReportMetric(p(0.99), what+"-p99-ms")
}

// BenchmarkIndexLag measures how long a written document takes to be searchable under a
// steady write load: writers put a document every few milliseconds (and tell the indexer,
// as the Data System does); a reader polls for each document until it is found.
func BenchmarkIndexLag(b *testing.B) {
	e := newEnv(b)
	e.fill(b, alice, 20_000, 30)
	ix := e.indexer(b, nil)
	ix.Notify(alice, notesType)
	for ix.Indexed() < 20_000 {
		time.Sleep(10 * time.Millisecond)
	}
	const writers, every = 4, 5 * time.Millisecond // 800 writes/s
	var mu sync.Mutex
	var lat []time.Duration
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	b.ResetTimer()
	for w := range writers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for i := 0; ctx.Err() == nil; i++ {
				id := fmt.Sprintf("lag-%d-%d", w, i)
				token := fmt.Sprintf("uniq%dx%d", w, i)
				e.put(b, alice, notesType, map[string]any{"_id": id, "title": token, "content": words(r, 30)})
				written := time.Now()
				ix.Notify(alice, notesType)
				for ctx.Err() == nil {
					res, err := ix.Search(context.Background(), Reader{Instance: alice, All: true}, Params{Query: token})
					if err != nil {
						b.Error(err)
						return
					}
					if res.Total == 1 {
						break
					}
					time.Sleep(time.Millisecond)
				}
				mu.Lock()
				lat = append(lat, time.Since(written))
				mu.Unlock()
				time.Sleep(every)
			}
		})
	}
	for b.Loop() {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // a steady load, whatever b.N
	cancel()
	wg.Wait()
	b.StopTimer()
	reportPercentiles(b, lat, "lag")
	b.ReportMetric(float64(len(lat)), "writes")
}
