package owner

import (
	"context"
	"errors"
	"testing"
)

// TestStore is the Store conformance suite, run on both backends.
func TestStore(t *testing.T) {
	forEachBackend(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		t.Run("missing", func(t *testing.T) {
			s := newStore(t)
			if _, _, err := s.Get(ctx, "nope"); !errors.Is(err, ErrStoreNotFound) {
				t.Fatalf("Get missing = %v, want ErrStoreNotFound", err)
			}
			if got, err := s.List(ctx, "x"); err != nil || len(got) != 0 {
				t.Fatalf("List on a new store = %v, %v; want nothing", got, err)
			}
		})
		t.Run("put get conflict delete", func(t *testing.T) {
			s := newStore(t)
			rev, err := s.Put(ctx, "k", []byte(`{"a":1}`), "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Put(ctx, "k", []byte(`{"a":2}`), ""); !errors.Is(err, ErrStoreConflict) {
				t.Fatalf("second create = %v, want ErrStoreConflict", err)
			}
			v, gotRev, err := s.Get(ctx, "k")
			if err != nil || string(v) != `{"a":1}` || gotRev != rev {
				t.Fatalf("Get = %s, %q, %v; want {\"a\":1}, %q", v, gotRev, err, rev)
			}
			rev2, err := s.Put(ctx, "k", []byte(`{"a":3}`), rev)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Put(ctx, "k", []byte(`{"a":4}`), rev); !errors.Is(err, ErrStoreConflict) {
				t.Fatalf("stale put = %v, want ErrStoreConflict", err)
			}
			if err := s.Delete(ctx, "k", rev); !errors.Is(err, ErrStoreConflict) {
				t.Fatalf("stale delete = %v, want ErrStoreConflict", err)
			}
			if err := s.Delete(ctx, "k", rev2); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.Get(ctx, "k"); !errors.Is(err, ErrStoreNotFound) {
				t.Fatalf("Get deleted = %v, want ErrStoreNotFound", err)
			}
			if _, err := s.Put(ctx, "k", []byte(`{"a":5}`), rev2); !errors.Is(err, ErrStoreConflict) {
				t.Fatalf("put on a deleted record with its old rev = %v, want ErrStoreConflict", err)
			}
		})
		t.Run("list prefix", func(t *testing.T) {
			s := newStore(t)
			for _, k := range []string{"session:b", "account", "session:a", "sessions", "sessio"} {
				if _, err := s.Put(ctx, k, []byte(`"`+k+`"`), ""); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.List(ctx, "session:")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].Key != "session:a" || got[1].Key != "session:b" ||
				string(got[0].Value) != `"session:a"` || got[0].Rev == "" {
				t.Fatalf("List(session:) = %+v", got)
			}
		})
		t.Run("not JSON", func(t *testing.T) {
			if _, err := newStore(t).Put(ctx, "k", []byte("{"), ""); err == nil {
				t.Fatal("Put of invalid JSON succeeded")
			}
		})
	})
}
