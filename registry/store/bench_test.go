package store_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-cloud/hearth/internal/testsvc"
	"github.com/hearth-cloud/hearth/registry/manifest"
	"github.com/hearth-cloud/hearth/registry/store"
)

// words make the apps' names and descriptions.
var words = strings.Fields(`notes tasks photo music calendar mail chat wiki budget recipe garden fitness
	journal contacts maps weather news books movies podcast timer habit sleep water travel code paste
	bookmark reader feed kanban invoice shop poll survey forms draw sketch chess puzzle quiz flash cards
	language lesson class school family chores shopping pantry wine beer coffee tea plant bird star
	astro radio video stream backup files share sync vault password secret token lock door light home
	energy solar meter car bike run swim yoga meditation diary memo todo list board team project time
	track expense income tax loan bank crypto stock market trade art gallery museum event ticket concert`)

var categories = []string{"productivity", "media", "social", "finance", "health", "education", "games", "home"}

// BenchmarkSearch10k searches 10,000 apps on a real PostgreSQL with the
// API's queries (words, category, channel, next pages) and reports the
// 50th and 99th percentiles of one search's time (one API call's query).
func BenchmarkSearch10k(b *testing.B) {
	ctx := context.Background()
	signer := newSigner(b)
	st, err := store.Open(ctx, testsvc.PostgreSQL(b), b.TempDir(), store.Options{Origin: originOf("bench.test", signer), Signer: signer})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() string { return words[rng.IntN(len(words))] }
	names := make([]string, 10_000)
	descs := make([]string, 10_000)
	for i := range names {
		names[i] = strings.ToUpper(pick()[:1]) + pick() + " " + pick()
		d := make([]string, 12)
		for j := range d {
			d[j] = pick()
		}
		descs[i] = strings.Join(d, " ")
	}
	err = st.LoadApps(ctx, len(names), func(i int) string { return names[i] }, func(i int) string { return descs[i] },
		func(i int) []string { return []string{categories[i%len(categories)]} })
	if err != nil {
		b.Fatal(err)
	}
	queries := []func() store.Query{
		func() store.Query { return store.Query{} },
		func() store.Query { return store.Query{Q: pick()} },
		func() store.Query { return store.Query{Q: pick() + " " + pick()} },
		func() store.Query { return store.Query{Q: pick()[:3]} },
		func() store.Query { return store.Query{Category: categories[rng.IntN(len(categories))]} },
		func() store.Query { return store.Query{Q: pick(), Channel: manifest.ChannelBeta, Limit: 50} },
		func() store.Query { return store.Query{UpdatedSince: time.Now().Add(-24 * time.Hour), Limit: 100} },
	}
	var times []time.Duration
	per := map[int][]time.Duration{}
	b.ResetTimer()
	search := func(k int, q store.Query) *store.Page {
		start := time.Now()
		page, err := st.Search(ctx, q)
		d := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		times = append(times, d)
		per[k] = append(per[k], d)
		return page
	}
	for i := 0; b.Loop(); i++ {
		k := i % len(queries)
		q := queries[k]()
		if page := search(k, q); page.Next != "" && i%2 == 0 { // and the next page, half the time
			q.Cursor = page.Next
			search(k, q)
		}
	}
	b.StopTimer()
	slices.Sort(times)
	p := func(f float64) float64 { return float64(times[int(f*float64(len(times)-1))].Microseconds()) / 1000 }
	b.ReportMetric(p(0.99), "p99-ms")
	b.ReportMetric(p(0.50), "p50-ms")
	for k, ts := range per {
		slices.Sort(ts)
		b.Logf("query %d: p50 %v p99 %v max %v", k, ts[len(ts)/2], ts[len(ts)*99/100], ts[len(ts)-1])
	}
}
