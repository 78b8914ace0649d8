package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// instanceClient calls an instance with the device login of `hearth login`, refreshing the
// access token when it expires.
type instanceClient struct {
	base  string
	creds *credentials
	login *login
}

// newInstanceClient picks the login of instance (or the only one).
func newInstanceClient(instance string) (*instanceClient, error) {
	creds, err := loadCredentials()
	if err != nil {
		return nil, err
	}
	base, l, err := creds.pick(instance)
	if err != nil {
		return nil, err
	}
	return &instanceClient{base: base, creds: creds, login: l}, nil
}

// token returns a valid access token, refreshed (and saved) when it expires within a minute.
func (c *instanceClient) token(ctx context.Context) (string, error) {
	if time.Until(c.login.ExpiresAt) > time.Minute {
		return c.login.AccessToken, nil
	}
	fresh, err := tokenRequest(ctx, c.base, url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {c.login.RefreshToken}, "client_id": {c.login.ClientID}})
	if errors.Is(err, errGrant) {
		return "", fmt.Errorf("the login on %s no longer works (%v): run `hearth login %s --scope …` again", c.base, err, c.base)
	}
	if err != nil {
		return "", fmt.Errorf("refresh the login on %s: %w", c.base, err)
	}
	fresh.ClientID = c.login.ClientID
	c.login = fresh
	c.creds.Instances[c.base] = fresh
	if err := c.creds.save(); err != nil {
		return "", err
	}
	return fresh.AccessToken, nil
}

// do sends a request to path (with its query) and returns the body of a 2xx answer; other
// answers are errors in the instance's words.
func (c *instanceClient) do(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	tok, err := c.token(ctx)
	if err != nil {
		return nil, err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return raw, nil
	}
	var e struct{ Error, Reason string }
	_ = json.Unmarshal(raw, &e)
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return nil, fmt.Errorf("%s refused the login (%s): run `hearth login %s --scope …` again", c.base, firstOf(e.Reason, e.Error, resp.Status), c.base)
	case resp.StatusCode == http.StatusForbidden && e.Error == "forbidden":
		return nil, fmt.Errorf("not allowed: %s (the login's access: %s)", firstOf(e.Reason, "forbidden"), c.login.Scope)
	case e.Error != "":
		return nil, fmt.Errorf("%s: %s", e.Error, firstOf(e.Reason, resp.Status))
	}
	return nil, fmt.Errorf("%s answered %s", c.base, resp.Status)
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

const dataUsage = `hearth data get <doctype> <id>
hearth data put <doctype> [<id>] [<json> | --file F | -]   (- or nothing: the JSON from standard input)
hearth data find <doctype> <selector-json> [--limit N] [--fields a,b]
hearth data changes <doctype> [--since SEQ] [--limit N] [--include-docs] [--follow]
each with [--instance URL] (default: the only instance logged in to)`

// dataCommand runs `hearth data get|put|find|changes` against an instance.
func dataCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "Usage:\n"+dataUsage)
		return fmt.Errorf("%w: hearth data get|put|find|changes …", errUsage)
	}
	sub := args[0]
	fs := newFlagSet("data "+sub, "hearth data "+sub+" …", stderr)
	instance := fs.String("instance", "", "the instance's URL (default: the only one logged in to)")
	file := fs.String("file", "", "put: read the document from this file")
	limit := fs.Int("limit", 0, "find, changes: at most this many results")
	fields := fs.String("fields", "", "find: only these fields, comma-separated")
	since := fs.String("since", "", "changes: from this sequence (default: the start)")
	includeDocs := fs.Bool("include-docs", false, "changes: with each document")
	follow := fs.Bool("follow", false, "changes: keep waiting for changes until interrupted")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return fmt.Errorf("%w: hearth data %s <doctype> …", errUsage, sub)
	}
	c, err := newInstanceClient(*instance)
	if err != nil {
		return err
	}
	db := "/data/" + url.PathEscape(rest[0]) + "/"
	switch {
	case sub == "get" && len(rest) == 2:
		raw, err := c.do(ctx, http.MethodGet, db+url.PathEscape(rest[1]), nil)
		if err != nil {
			return err
		}
		return printJSON(stdout, raw)
	case sub == "put" && len(rest) <= 3:
		return dataPut(ctx, c, db, rest[1:], *file, stdin, stdout)
	case sub == "find" && len(rest) == 2:
		return dataFind(ctx, c, db, rest[1], *limit, *fields, stdout)
	case sub == "changes" && len(rest) == 1:
		return dataChanges(ctx, c, db, changesOpts{since: *since, limit: *limit, docs: *includeDocs, follow: *follow}, stdout)
	}
	fmt.Fprintln(stderr, "Usage:\n"+dataUsage)
	return fmt.Errorf("%w: hearth data %s: wrong arguments", errUsage, sub)
}

// dataPut writes a document: PUT with an id, POST without.
func dataPut(ctx context.Context, c *instanceClient, db string, args []string, file string, stdin io.Reader, stdout io.Writer) error {
	var id, src string
	switch len(args) {
	case 2:
		id, src = args[0], args[1]
	case 1:
		if strings.HasPrefix(strings.TrimSpace(args[0]), "{") || args[0] == "-" {
			src = args[0]
		} else {
			id = args[0]
		}
	}
	var body []byte
	var err error
	switch {
	case file != "" && src != "":
		return fmt.Errorf("%w: give the document either as an argument or with --file", errUsage)
	case file != "":
		body, err = os.ReadFile(file)
	case src == "" || src == "-":
		body, err = io.ReadAll(io.LimitReader(stdin, 64<<20))
	default:
		body = []byte(src)
	}
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return fmt.Errorf("%w: the document is not a JSON object: %v", errUsage, err)
	}
	method, path := http.MethodPost, db
	if id != "" {
		method, path = http.MethodPut, db+url.PathEscape(id)
	}
	raw, err := c.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	return printJSON(stdout, raw)
}

// dataFind runs a Mango query and prints each document on its own line.
func dataFind(ctx context.Context, c *instanceClient, db, selector string, limit int, fields string, stdout io.Writer) error {
	var sel map[string]any
	if err := json.Unmarshal([]byte(selector), &sel); err != nil {
		return fmt.Errorf("%w: the selector is not a JSON object such as '{\"title\": {\"$regex\": \"milk\"}}': %v", errUsage, err)
	}
	q := map[string]any{"selector": sel}
	if limit > 0 {
		q["limit"] = limit
	}
	if fields != "" {
		q["fields"] = strings.Split(fields, ",")
	}
	body, _ := json.Marshal(q)
	raw, err := c.do(ctx, http.MethodPost, db+"_find", body)
	if err != nil {
		return err
	}
	var res struct {
		Docs    []json.RawMessage `json:"docs"`
		Warning string            `json:"warning"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return fmt.Errorf("unexpected answer to _find: %w", err)
	}
	for _, d := range res.Docs {
		fmt.Fprintf(stdout, "%s\n", d)
	}
	return nil
}

type changesOpts struct {
	since  string
	limit  int
	docs   bool
	follow bool
}

// dataChanges prints the changes feed, one change a line, then {"last_seq": …}; with follow
// it keeps waiting (long polls) until interrupted.
func dataChanges(ctx context.Context, c *instanceClient, db string, o changesOpts, stdout io.Writer) error {
	since := o.since
	for {
		q := url.Values{}
		if since != "" {
			q.Set("since", since)
		}
		if o.limit > 0 {
			q.Set("limit", strconv.Itoa(o.limit))
		}
		if o.docs {
			q.Set("include_docs", "true")
		}
		if o.follow {
			q.Set("feed", "longpoll")
			q.Set("timeout", "50000")
		}
		raw, err := c.do(ctx, http.MethodGet, db+"_changes?"+q.Encode(), nil)
		if o.follow && ctx.Err() != nil {
			return nil // interrupted
		}
		if err != nil {
			return err
		}
		var res struct {
			Results []json.RawMessage `json:"results"`
			LastSeq json.RawMessage   `json:"last_seq"`
		}
		if err := json.Unmarshal(raw, &res); err != nil {
			return fmt.Errorf("unexpected answer to _changes: %w", err)
		}
		for _, r := range res.Results {
			fmt.Fprintf(stdout, "%s\n", r)
		}
		if !o.follow {
			fmt.Fprintf(stdout, "{\"last_seq\":%s}\n", res.LastSeq)
			return nil
		}
		var s any
		_ = json.Unmarshal(res.LastSeq, &s)
		since = fmt.Sprint(s)
		if f, ok := s.(float64); ok {
			since = strconv.FormatInt(int64(f), 10)
		}
	}
}

// printJSON prints a JSON answer indented.
func printJSON(w io.Writer, raw []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		_, err = w.Write(raw)
		return err
	}
	buf.WriteByte('\n')
	_, err := buf.WriteTo(w)
	return err
}
