package apps

import (
	"context"
	"fmt"
	"strings"

	kivik "github.com/go-kivik/kivik/v4"
)

// List returns the apps installed on an instance.
func (s *Service) List(ctx context.Context, instanceID string) ([]*Installed, error) {
	db, err := s.Records.DB(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	return listRecords(ctx, db)
}

// Get returns one installed app.
func (s *Service) Get(ctx context.Context, instanceID, slug string) (*Installed, error) {
	db, err := s.Records.DB(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	return getRecord(ctx, db, slug)
}

// DataRemover destroys the documents of one doctype of an instance.
type DataRemover func(ctx context.Context, instanceID, doctype string) error

// RemoveResult tells what an uninstall did with the app's data.
type RemoveResult struct {
	Deleted []string `json:"deleted"` // doctypes whose documents were destroyed
	Kept    []string `json:"kept"`    // doctypes kept: still granted to another app, or not asked
}

// Uninstall removes an app. Its data stays unless deleteData; even then a doctype another
// installed app was granted is kept.
func (s *Service) Uninstall(ctx context.Context, instanceID, slug string, deleteData bool, remove DataRemover) (*RemoveResult, error) {
	db, err := s.Records.DB(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	in, err := getRecord(ctx, db, slug)
	if err != nil {
		return nil, err
	}
	if _, err := db.Delete(ctx, in.Slug, in.Rev); err != nil {
		return nil, fmt.Errorf("apps: remove %s: %w", slug, err)
	}
	res := &RemoveResult{Deleted: []string{}, Kept: []string{}}
	others, err := listRecords(ctx, db)
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	for _, o := range others {
		for _, sc := range o.Scopes {
			used[scopeDoctype(sc)] = true
		}
	}
	for _, sc := range in.Scopes {
		d := scopeDoctype(sc)
		if !deleteData || used[d] {
			res.Kept = append(res.Kept, d)
			continue
		}
		if err := remove(ctx, instanceID, d); err != nil && kivik.HTTPStatus(err) != 404 {
			return res, fmt.Errorf("apps: %s removed, but deleting the %s documents failed: %w", slug, d, err)
		}
		res.Deleted = append(res.Deleted, d)
	}
	return res, nil
}

// scopeDoctype is the doctype a scope grants verbs on.
func scopeDoctype(sc string) string {
	doctype, _, _ := strings.Cut(sc, ":")
	return doctype
}
