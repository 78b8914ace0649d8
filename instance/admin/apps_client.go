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
