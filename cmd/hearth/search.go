package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// searchResult is the search API's answer (GET /search).
type searchResult struct {
	Hits []struct {
		ID        string              `json:"id"`
		Doctype   string              `json:"doctype"`
		Score     float64             `json:"score"`
		Fragments map[string][]string `json:"fragments"`
	} `json:"hits"`
	Total      int    `json:"total"`
	NextCursor string `json:"next_cursor"`
}

// searchCommand runs `hearth search <query>` against an instance's search API.
func searchCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("search", "hearth search <query> [--doctype D] [--limit N] [--cursor C] [--json] [--instance URL]", stderr)
	instance := fs.String("instance", "", "the instance's URL (default: the only one logged in to)")
	doctype := fs.String("doctype", "", "search this doctype only")
	limit := fs.Int("limit", 0, "at most this many hits (default: the instance's)")
	cursor := fs.String("cursor", "", "the next page of a previous search (its next_cursor)")
	asJSON := fs.Bool("json", false, "print the API's answer as it is")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	query := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if query == "" {
		return fmt.Errorf("%w: hearth search <query>", errUsage)
	}
	c, err := newInstanceClient(*instance)
	if err != nil {
		return err
	}
	q := url.Values{"q": {query}}
	if *doctype != "" {
		q.Set("doctype", *doctype)
	}
	if *limit > 0 {
		q.Set("limit", strconv.Itoa(*limit))
	}
	if *cursor != "" {
		q.Set("cursor", *cursor)
	}
	raw, err := c.do(ctx, http.MethodGet, "/search?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, raw)
	}
	var res searchResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return fmt.Errorf("unexpected answer from the search API: %w", err)
	}
	printHits(stdout, &res)
	return nil
}

// printHits prints one hit a paragraph: doctype, id and score, then each field's fragments.
func printHits(w io.Writer, res *searchResult) {
	for _, h := range res.Hits {
		fmt.Fprintf(w, "%s %s (score %.3f)\n", h.Doctype, h.ID, h.Score)
		fields := make([]string, 0, len(h.Fragments))
		for f := range h.Fragments {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		for _, f := range fields {
			for _, frag := range h.Fragments[f] {
				fmt.Fprintf(w, "  %s: %s\n", f, strings.Join(strings.Fields(frag), " "))
			}
		}
	}
	fmt.Fprintf(w, "%d of %d hits", len(res.Hits), res.Total)
	if res.NextCursor != "" {
		fmt.Fprintf(w, "; more with --cursor %s", res.NextCursor)
	}
	fmt.Fprintln(w)
}
