package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/store"
)

type dashboardData struct {
	Name, Email, Proof string
	Apps               []dashboardApp
	Severities         []string
}

// dashboardApp is one of the publisher's apps, with what only they see.
type dashboardApp struct {
	Slug, Name, Source, URL   string
	IndexedAt                 time.Time
	Problems                  []string
	WebhookURL, WebhookSecret string
	Deprecated                *entry.Deprecation
	Versions                  []pageVersion
	Advisories                []entry.Advisory
}

// dashboardNotices are the messages a form's redirect to the dashboard names.
var dashboardNotices = map[string]string{
	"deprecated":   "The app is deprecated.",
	"undeprecated": "The app is no longer deprecated.",
	"yanked":       "The version is yanked.",
	"advisory":     "The advisory is published.",
}

func (p *pages) dashboard(q *preq) error {
	ctx := q.c.Request.Context()
	apps, err := p.s.st.AppsOf(ctx, q.pub.ID)
	if err != nil {
		return err
	}
	d := dashboardData{Name: q.pub.Name, Email: q.pub.Email, Proof: q.pub.Proof, Severities: entry.Severities}
	for i := range apps {
		a := &apps[i]
		vs, err := p.s.st.Versions(ctx, a.ID)
		if err != nil {
			return err
		}
		as, err := p.s.st.Advisories(ctx, a.ID)
		if err != nil {
			return err
		}
		da := dashboardApp{Slug: a.Slug, Name: a.Name, Source: a.Source, URL: appPageURL(a.Slug, a.Origin.Key, a.Origin.Key),
			IndexedAt: a.IndexedAt, Problems: a.Problems, WebhookSecret: a.HookSecret, Deprecated: a.Deprecated, Versions: pageVersions(vs)}
		if a.HookID != "" {
			da.WebhookURL = p.s.st.Origin().URL + "/hooks/" + a.HookID
		}
		for _, ad := range as {
			da.Advisories = append(da.Advisories, ad.Advisory)
		}
		d.Apps = append(d.Apps, da)
	}
	notice := dashboardNotices[q.c.Query("done")]
	if q.c.Query("done") == "refreshed" {
		n, _ := strconv.Atoi(q.c.Query("new"))
		notice = fmt.Sprintf("Indexed again: %d new versions.", max(n, 0))
	}
	p.render(q, http.StatusOK, "dashboard", "Dashboard", d, notice, "")
	return nil
}

// backToDashboard redirects to the dashboard at the app, saying what was done.
func backToDashboard(q *preq, app *store.App, done string, extra ...string) error {
	v := url.Values{"done": {done}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return seeOther(q, "/dashboard?"+v.Encode()+"#app-"+app.Slug)
}

func (p *pages) refresh(q *preq, app *store.App) error {
	added, _, err := p.s.reindex(q.c.Request.Context(), app.ID)
	if err != nil {
		return err
	}
	return backToDashboard(q, app, "refreshed", "new", strconv.Itoa(len(added)))
}

func (p *pages) deprecate(q *preq, app *store.App) error {
	d := &entry.Deprecation{Reason: strings.TrimSpace(q.c.PostForm("reason")),
		Replacement: strings.TrimSpace(q.c.PostForm("replacement"))}
	if _, err := p.s.st.Deprecate(q.c.Request.Context(), app.ID, d); err != nil {
		return err
	}
	return backToDashboard(q, app, "deprecated")
}

func (p *pages) undeprecate(q *preq, app *store.App) error {
	if _, err := p.s.st.Deprecate(q.c.Request.Context(), app.ID, nil); err != nil {
		return err
	}
	return backToDashboard(q, app, "undeprecated")
}

func (p *pages) yank(q *preq, app *store.App) error {
	reason := strings.TrimSpace(q.c.PostForm("reason"))
	if _, err := p.s.st.Yank(q.c.Request.Context(), app.ID, q.c.Param("version"), reason); err != nil {
		return err
	}
	return backToDashboard(q, app, "yanked")
}

func (p *pages) advisory(q *preq, app *store.App) error {
	a := entry.Advisory{ID: strings.TrimSpace(q.c.PostForm("id")), Summary: strings.TrimSpace(q.c.PostForm("summary")),
		Severity: q.c.PostForm("severity"), Fixed: strings.TrimSpace(q.c.PostForm("fixed"))}
	if _, err := p.s.st.PutAdvisory(q.c.Request.Context(), app.ID, a); err != nil {
		return err
	}
	return backToDashboard(q, app, "advisory")
}
