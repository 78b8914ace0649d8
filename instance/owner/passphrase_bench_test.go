package owner

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkHash measures one argon2id hash at 64 MiB, 2 lanes, for 1 to 3 passes.
func BenchmarkHash(b *testing.B) {
	for _, passes := range []uint32{1, 2, 3} {
		b.Run(fmt.Sprintf("t=%d", passes), func(b *testing.B) {
			p := DefaultParams()
			p.Time = passes
			h := NewHasher(p, 1)
			for b.Loop() {
				if _, err := h.Hash(context.Background(), "correct horse battery"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
