package apps

import (
	"context"
	"fmt"
	"net/http"

	kivik "github.com/go-kivik/kivik/v4"
)

// Doctype is where an instance keeps the records of its apps. The manifest format reserves it:
// no app can ask for it.
const Doctype = "io.hearth.apps"

// Records keeps the installed apps of instances.
type Records interface {
	// DB returns the database of an instance's app records, created if needed.
	DB(ctx context.Context, instanceID string) (*kivik.DB, error)
}

func getRecord(ctx context.Context, db *kivik.DB, slug string) (*Installed, error) {
	var in Installed
	if err := db.Get(ctx, slug).ScanDoc(&in); err != nil {
		if kivik.HTTPStatus(err) == http.StatusNotFound {
			return nil, fmt.Errorf("%w: %s", ErrNotInstalled, slug)
		}
		return nil, fmt.Errorf("apps: read %s: %w", slug, err)
	}
	return &in, nil
}

func putRecord(ctx context.Context, db *kivik.DB, in *Installed) error {
	rev, err := db.Put(ctx, in.Slug, in)
	if kivik.HTTPStatus(err) == http.StatusConflict {
		return fmt.Errorf("apps: %s changed meanwhile, try again: %w", in.Slug, err)
	}
	if err != nil {
		return fmt.Errorf("apps: record %s: %w", in.Slug, err)
	}
	in.Rev = rev
	return nil
}

func listRecords(ctx context.Context, db *kivik.DB) ([]*Installed, error) {
	rows := db.AllDocs(ctx, kivik.Param("include_docs", true))
	defer rows.Close()
	var out []*Installed
	for rows.Next() {
		var in Installed
		if err := rows.ScanDoc(&in); err != nil {
			return nil, fmt.Errorf("apps: list: %w", err)
		}
		out = append(out, &in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("apps: list: %w", err)
	}
	return out, nil
}
