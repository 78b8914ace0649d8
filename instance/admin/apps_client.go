package admin

import (
	"context"
	"net/http"
	"net/url"

	"github.com/hearth-cloud/hearth/instance/apps"
)

// PrepareApp fetches and checks an app, and returns the plan of installing it.
func (c *Client) PrepareApp(ctx context.Context, domain string, src apps.Source) (*apps.Plan, error) {
	var p apps.Plan
	err := c.do(ctx, http.MethodPost, instancePath(domain, "/apps"), src, &p)
	return &p, err
}

// AcceptPlan applies a plan: installs the app, or updates it.
func (c *Client) AcceptPlan(ctx context.Context, domain, planID string) (AppView, error) {
	var v AppView
	err := c.do(ctx, http.MethodPost, instancePath(domain, "/plans/", url.PathEscape(planID)), nil, &v)
	return v, err
}

// ListApps lists the apps of an instance.
func (c *Client) ListApps(ctx context.Context, domain string) ([]AppView, error) {
	var v []AppView
	err := c.do(ctx, http.MethodGet, instancePath(domain, "/apps"), nil, &v)
	return v, err
}

// UpdateApp updates an app to ref (its current ref when empty).
func (c *Client) UpdateApp(ctx context.Context, domain, slug, ref string) (*apps.UpdateResult, error) {
	var res apps.UpdateResult
	err := c.do(ctx, http.MethodPost, instancePath(domain, "/apps/", url.PathEscape(slug), "/update"), map[string]string{"ref": ref}, &res)
	return &res, err
}

// RemoveApp uninstalls an app, deleting its data when deleteData.
func (c *Client) RemoveApp(ctx context.Context, domain, slug string, deleteData bool) (AppView, error) {
	var v AppView
	q := ""
	if deleteData {
		q = "?delete_data=true"
	}
	err := c.do(ctx, http.MethodDelete, instancePath(domain, "/apps/", url.PathEscape(slug), q), nil, &v)
	return v, err
}

// PrepareFromRegistry asks a trusted registry for an app and returns the plan of installing it.
func (c *Client) PrepareFromRegistry(ctx context.Context, domain string, ref apps.StoreRef) (*apps.Plan, error) {
	var p apps.Plan
	err := c.do(ctx, http.MethodPost, instancePath(domain, "/apps/from-registry"), ref, &p)
	return &p, err
}

// UpdateAll updates every app of an instance that needs no approval and lists the others.
func (c *Client) UpdateAll(ctx context.Context, domain string) ([]apps.Outcome, error) {
	var v UpdateAllView
	err := c.do(ctx, http.MethodPost, instancePath(domain, "/apps/update-all"), nil, &v)
	return v.Outcomes, err
}

// Registries returns the registries an instance trusts.
func (c *Client) Registries(ctx context.Context, domain string) (RegistriesView, error) {
	var v RegistriesView
	err := c.do(ctx, http.MethodGet, instancePath(domain, "/registries"), nil, &v)
	return v, err
}

// SetRegistries gives an instance its own list of trusted registries, in priority order.
func (c *Client) SetRegistries(ctx context.Context, domain string, list []apps.Registry) (RegistriesView, error) {
	if list == nil {
		list = []apps.Registry{}
	}
	var v RegistriesView
	err := c.do(ctx, http.MethodPut, instancePath(domain, "/registries"), map[string]any{"registries": list}, &v)
	return v, err
}

// ClearRegistries makes an instance trust the runtime's registries again.
func (c *Client) ClearRegistries(ctx context.Context, domain string) (RegistriesView, error) {
	var v RegistriesView
	err := c.do(ctx, http.MethodDelete, instancePath(domain, "/registries"), nil, &v)
	return v, err
}
