package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
)

// padding brings a document body to about 200 bytes.
var padding = strings.Repeat("lorem ipsum ", 8)

// docBody is the small JSON document every create writes (about 200 bytes).
func docBody(w, i int) []byte {
	return fmt.Appendf(nil, `{"title":"note %d of worker %d","n":%d,"tag":"w%02d","done":false,"body":%q}`,
		i, w, i, w, padding)
}

// docID names the i-th document of worker w.
func docID(w, i int) string { return fmt.Sprintf("w%02d-%09d", w, i) }

// creates measures single-document PUTs of new ids by n concurrent clients. It returns the
// rate and the ids created.
func creates(ctx context.Context, db *database, win window, n int) (rateResult, []string) {
	made := make([][]string, n) // made[w] is written by worker w only
	res := runRate(ctx, win, n, func(ctx context.Context, w, i int) error {
		id := docID(w, i)
		if _, err := db.expect(ctx, http.StatusCreated, http.MethodPut, "/"+id, docBody(w, i)); err != nil {
			return err
		}
		made[w] = append(made[w], id)
		return nil
	})
	var ids []string
	for _, m := range made {
		ids = append(ids, m...)
	}
	return res, ids
}

// reads measures GETs of random existing documents by n concurrent clients.
func reads(ctx context.Context, db *database, win window, n int, ids []string) rateResult {
	if len(ids) == 0 {
		return rateResult{errs: 1, firstErr: errNoDocs}
	}
	return runRate(ctx, win, n, func(ctx context.Context, _, _ int) error {
		_, err := db.expect(ctx, http.StatusOK, http.MethodGet, "/"+ids[rand.IntN(len(ids))], nil)
		return err
	})
}

var errNoDocs = errors.New("hearthbench: no documents to read (the creates failed)")
