package server

import (
	"net/http"
	"net/url"

	"github.com/hearth-cloud/hearth/registry/manifest"
	"github.com/hearth-cloud/hearth/registry/store"
)

// BrowsePageSize is the number of apps on a page of the browse page.
const BrowsePageSize = 24

type browseData struct {
	Q, Category, Channel string
	Channels             []manifest.Channel
	Apps                 []appCard
	First, Next          string // links to the first and the next page, "" for none
}

// appCard is an app as the browse page shows it.
type appCard struct {
	Slug, Name, Description, Publisher string
	Origin                             string // the origin registry's name
	Mirrored                           bool
	Stable                             string
	Deprecated                         bool
	Categories                         []string
	Icon, URL                          string
}

func (p *pages) browse(q *preq) error {
	c := q.c
	d := browseData{Q: c.Query("q"), Category: c.Query("category"), Channel: c.Query("channel"),
		Channels: []manifest.Channel{manifest.ChannelStable, manifest.ChannelBeta, manifest.ChannelDev}}
	filters := url.Values{}
	for k, v := range map[string]string{"q": d.Q, "category": d.Category, "channel": d.Channel} {
		if v != "" {
			filters.Set(k, v)
		}
	}
	cursor := c.Query("cursor")
	page, err := p.s.st.Search(c.Request.Context(), store.Query{Q: d.Q, Category: d.Category,
		Channel: manifest.Channel(d.Channel), Cursor: cursor, Limit: BrowsePageSize})
	if err != nil {
		status, msg, _ := p.s.classify(err)
		if status == http.StatusInternalServerError {
			return err
		}
		p.render(q, status, "browse", "Apps", d, "", msg)
		return nil
	}
	own := p.s.st.Origin().Key
	for i := range page.Apps {
		a := &page.Apps[i]
		d.Apps = append(d.Apps, appCard{Slug: a.Slug, Name: a.Name, Description: a.Description,
			Publisher: a.Publisher, Origin: a.Origin.Name, Mirrored: a.Origin.Key != own, Stable: a.Latest.Stable,
			Deprecated: a.Deprecated != nil, Categories: a.Categories,
			Icon: iconURL(a), URL: appPageURL(a.Slug, a.Origin.Key, own)})
	}
	if cursor != "" {
		d.First = "/?" + filters.Encode()
	}
	if page.Next != "" {
		filters.Set("cursor", page.Next)
		d.Next = "/?" + filters.Encode()
	}
	p.render(q, http.StatusOK, "browse", "Apps", d, "", "")
	return nil
}

// appPageURL is the page of the app (origin, slug); origin is left out for this registry's own.
func appPageURL(slug, origin, own string) string {
	if origin == own {
		return "/apps/" + url.PathEscape(slug)
	}
	return "/apps/" + url.PathEscape(slug) + "?origin=" + url.QueryEscape(origin)
}

// iconURL is where the app's icon is served.
func iconURL(a *store.App) string {
	return "/api/v1/apps/" + url.PathEscape(a.Slug) + "/icon?origin=" + url.QueryEscape(a.Origin.Key)
}
