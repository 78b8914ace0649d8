package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"
)

// batchSize is how many documents one _bulk_docs request carries.
const batchSize = 1000

var errShort = errors.New("hearthbench: wrong number of results")

// largeDoc is the i-th document of the large database: its tag is shared by ten documents.
func largeDoc(buf []byte, i int) []byte {
	return fmt.Appendf(buf, `{"_id":"d%07d","n":%d,"tag":"t%06d","title":"document %d","body":%q}`,
		i, i, i/10, i, padding)
}

// bulkLoad writes n documents with _bulk_docs in batches of batchSize.
func bulkLoad(ctx context.Context, db *database, n int) error {
	for start := 0; start < n; start += batchSize {
		body := []byte(`{"docs":[`)
		for i := start; i < min(start+batchSize, n); i++ {
			if i > start {
				body = append(body, ',')
			}
			body = largeDoc(body, i)
		}
		body = append(body, "]}"...)
		resp, err := db.expect(ctx, http.StatusCreated, http.MethodPost, "/_bulk_docs", body)
		if err != nil {
			return fmt.Errorf("batch at %d: %w", start, err)
		}
		if bytes.Contains(resp, []byte(`"error"`)) {
			return fmt.Errorf("batch at %d: %w: a document failed: %.300s", start, errStatus, resp)
		}
	}
	return nil
}

// changesCatchUp reads the whole _changes?since=0 feed once and checks it lists at least n
// documents. The time covers the request and reading the body, not checking it.
func changesCatchUp(ctx context.Context, db *database, n int) (time.Duration, error) {
	start := time.Now()
	resp, err := send(ctx, db.t.c, http.MethodGet, db.url+"/_changes?since=0", db.t.host, db.t.token, nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	took := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("hearthbench: read _changes: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%w: GET _changes: %d %.300s", errStatus, resp.StatusCode, body)
	}
	var feed struct {
		Results []json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(body, &feed); err != nil {
		return 0, fmt.Errorf("hearthbench: parse _changes: %w", err)
	}
	if len(feed.Results) < n {
		return 0, fmt.Errorf("%w: _changes listed %d of %d documents", errShort, len(feed.Results), n)
	}
	return took, nil
}

// createTagIndex creates the json index on "tag" the queries use.
func createTagIndex(ctx context.Context, db *database) error {
	body := []byte(`{"index":{"fields":["tag"]},"ddoc":"by-tag","name":"by-tag","type":"json"}`)
	_, err := db.expect(ctx, http.StatusOK, http.MethodPost, "/_index", body)
	return err
}

// findTag runs one _find for a random tag among n documents and checks it returns ten.
func findTag(ctx context.Context, db *database, n int) (time.Duration, error) {
	body := fmt.Appendf(nil, `{"selector":{"tag":"t%06d"},"limit":25}`, rand.IntN(n/10))
	start := time.Now()
	resp, err := db.expect(ctx, http.StatusOK, http.MethodPost, "/_find", body)
	took := time.Since(start)
	if err != nil {
		return 0, err
	}
	var out struct {
		Docs []json.RawMessage `json:"docs"`
	}
	if err := json.Unmarshal(resp, &out); err != nil {
		return 0, fmt.Errorf("hearthbench: parse _find: %w", err)
	}
	if len(out.Docs) != 10 {
		return 0, fmt.Errorf("%w: _find %s returned %d docs, want 10", errShort, body, len(out.Docs))
	}
	return took, nil
}
