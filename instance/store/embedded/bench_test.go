package embedded

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkPutParallel measures group commit: 16 goroutines each Put new documents.
func BenchmarkPutParallel(b *testing.B) {
	_, db := newTestDB(b)
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism((16 + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("doc-%09d", n.Add(1))
			if _, err := db.Put(ctx, id, map[string]any{"title": "a note", "n": 1}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkGet measures reading one document among a thousand.
func BenchmarkGet(b *testing.B) {
	_, db := newTestDB(b)
	ctx := context.Background()
	docs := make([]any, 1000)
	for i := range docs {
		docs[i] = map[string]any{"_id": fmt.Sprintf("doc-%04d", i), "title": "a note", "n": i}
	}
	if _, err := db.BulkDocs(ctx, docs); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var doc map[string]any
		if err := db.Get(ctx, fmt.Sprintf("doc-%04d", i%1000)).ScanDoc(&doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen measures opening an idle database and reading one document from it.
func BenchmarkOpen(b *testing.B) {
	ctx := context.Background()
	c := newClient(b.TempDir(), defaultOptions())
	b.Cleanup(func() { _ = c.Close() })
	if err := c.CreateDB(ctx, "cold", nil); err != nil {
		b.Fatal(err)
	}
	d := &db{c: c, name: "cold"}
	if _, err := d.Put(ctx, "a", map[string]any{"v": 1}, nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.closeIdle(time.Now().Add(time.Hour))
		if _, err := d.GetRev(ctx, "a", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateLongHistory measures updating a document that has a full history of
// revsLimit revisions.
func BenchmarkUpdateLongHistory(b *testing.B) {
	_, db := newTestDB(b)
	ctx := context.Background()
	rev := ""
	put := func() {
		doc := map[string]any{"n": 1}
		if rev != "" {
			doc["_rev"] = rev
		}
		var err error
		if rev, err = db.Put(ctx, "hot", doc); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < revsLimit+10; i++ {
		put()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		put()
	}
}
