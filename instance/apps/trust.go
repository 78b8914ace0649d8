package apps

import (
	"context"
	"fmt"
	"net/http"

	kivik "github.com/go-kivik/kivik/v4"
)

// TrustStore keeps the registries each instance trusts: the instance's own list when it has
// one, else the runtime's (Default). An instance's list is one document of its settings
// database, created on the first write.
type TrustStore struct {
	// Settings returns the (maybe not yet created) settings database of an instance.
	Settings func(instanceID string) *kivik.DB
	Default  []Registry
}

var _ Trust = (*TrustStore)(nil)

// registriesDoc is the document id of an instance's trusted registries.
const registriesDoc = "registries"

type registriesRecord struct {
	ID         string     `json:"_id"`
	Rev        string     `json:"_rev,omitempty"`
	Registries []Registry `json:"registries"`
}

// Registries implements Trust.
func (t *TrustStore) Registries(ctx context.Context, instanceID string) ([]Registry, error) {
	own, ok, err := t.Own(ctx, instanceID)
	if err != nil || ok {
		return own, err
	}
	return t.Default, nil
}

// Own returns the instance's own list, and whether it has one.
func (t *TrustStore) Own(ctx context.Context, instanceID string) ([]Registry, bool, error) {
	rec, err := t.get(ctx, instanceID)
	if err != nil || rec == nil {
		return nil, false, err
	}
	return rec.Registries, true, nil
}

func (t *TrustStore) get(ctx context.Context, instanceID string) (*registriesRecord, error) {
	var rec registriesRecord
	err := t.Settings(instanceID).Get(ctx, registriesDoc).ScanDoc(&rec)
	if kivik.HTTPStatus(err) == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("apps: read the trusted registries: %w", err)
	}
	return &rec, nil
}

// SetOwn replaces the instance's own list (checked first); nil goes back to the runtime's.
func (t *TrustStore) SetOwn(ctx context.Context, instanceID string, list []Registry) error {
	rec, err := t.get(ctx, instanceID)
	if err != nil {
		return err
	}
	db := t.Settings(instanceID)
	if list == nil {
		if rec == nil {
			return nil
		}
		if _, err := db.Delete(ctx, registriesDoc, rec.Rev); err != nil {
			return fmt.Errorf("apps: clear the trusted registries: %w", err)
		}
		return nil
	}
	if list, err = CheckRegistries(list); err != nil {
		return err
	}
	next := registriesRecord{ID: registriesDoc, Registries: list}
	if rec != nil {
		next.Rev = rec.Rev
	}
	_, err = db.Put(ctx, registriesDoc, next)
	if kivik.HTTPStatus(err) == http.StatusNotFound && rec == nil {
		// The settings database does not exist yet (a concurrent creator answers 412).
		if cerr := db.Client().CreateDB(ctx, db.Name()); cerr != nil && kivik.HTTPStatus(cerr) != http.StatusPreconditionFailed {
			return fmt.Errorf("apps: create %s: %w", db.Name(), cerr)
		}
		_, err = db.Put(ctx, registriesDoc, next)
	}
	if err != nil {
		return fmt.Errorf("apps: record the trusted registries: %w", err)
	}
	return nil
}
