package server

import (
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/manifest"
	"github.com/hearth-cloud/hearth/registry/store"
)

// appData is what an app's page shows.
type appData struct {
	Slug, Name, Description, Publisher string
	Categories                         []string
	Source, Homepage                   string
	Origin                             entry.Origin
	Mirrored                           bool
	Updated                            time.Time
	Icon                               string // "" when the shown version has none
	Screenshots                        []string
	Deprecated                         *entry.Deprecation
	ReplacementURL                     string
	ShownVersion                       string // whose manifest the permissions come from
	Permissions                        []manifest.Permission
	Channels                           []channelVersions
	Advisories                         []entry.Advisory
	Install                            *installData
}

type channelVersions struct {
	Name     manifest.Channel
	Versions []pageVersion
}

// pageVersion is a version as the pages list it.
type pageVersion struct {
	Version, Tag string
	Channel      manifest.Channel
	Published    time.Time
	Yanked       *entry.Yank
}

func pageVersions(vs []store.Version) []pageVersion {
	out := make([]pageVersion, 0, len(vs))
	for _, v := range vs {
		out = append(out, pageVersion{Version: v.Version.Version, Tag: v.Tag, Channel: v.Channel,
			Published: v.Published, Yanked: v.Yanked})
	}
	return out
}

type installData struct {
	Version     string
	Channel     manifest.Channel
	SHA256, URL string
	Size        int64
}

func (p *pages) app(q *preq) error {
	app, err := p.s.appOf(q.c)
	if err != nil {
		return err
	}
	ctx := q.c.Request.Context()
	vs, err := p.s.st.Versions(ctx, app.ID)
	if err != nil {
		return err
	}
	as, err := p.s.st.Advisories(ctx, app.ID)
	if err != nil {
		return err
	}
	own := p.s.st.Origin().Key
	d := appData{Slug: app.Slug, Name: app.Name, Description: app.Description, Publisher: app.Publisher,
		Categories: app.Categories, Source: app.Source, Homepage: app.Homepage, Origin: app.Origin,
		Mirrored: app.Origin.Key != own, Updated: app.Updated, Deprecated: app.Deprecated}
	if app.Deprecated != nil && manifest.ValidSlug(app.Deprecated.Replacement) {
		d.ReplacementURL = appPageURL(app.Deprecated.Replacement, app.Origin.Key, own)
	}
	for _, a := range as {
		d.Advisories = append(d.Advisories, a.Advisory)
	}
	for _, ch := range []manifest.Channel{manifest.ChannelStable, manifest.ChannelBeta, manifest.ChannelDev} {
		cv := channelVersions{Name: ch}
		for _, v := range pageVersions(vs) {
			if v.Channel == ch {
				cv.Versions = append(cv.Versions, v)
			}
		}
		if len(cv.Versions) > 0 {
			d.Channels = append(d.Channels, cv)
		}
	}
	if v := shownVersion(app, vs); v != nil {
		d.ShownVersion = v.Version.Version
		d.Install = &installData{Version: v.Version.Version, Channel: v.Channel, SHA256: v.ArchiveSHA256,
			Size: v.ArchiveSize, URL: "/archives/" + v.ArchiveSHA256 + ".tar"}
		if m, err := manifest.Parse(v.Manifest); err == nil {
			d.Permissions = m.PermissionList()
			if m.Icon != "" {
				d.Icon = fileURL(app, v.Version.Version, m.Icon)
			}
			for _, s := range m.Screenshots {
				d.Screenshots = append(d.Screenshots, fileURL(app, v.Version.Version, s))
			}
		}
	}
	p.render(q, http.StatusOK, "app", app.Name, d, "", "")
	return nil
}

// shownVersion is the version whose manifest an app's page shows and whose
// archive it offers: the latest stable, else beta, else dev; nil for none.
func shownVersion(app *store.App, vs []store.Version) *store.Version {
	for _, ch := range []manifest.Channel{manifest.ChannelStable, manifest.ChannelBeta, manifest.ChannelDev} {
		want := app.Latest.Of(ch)
		for i := range vs {
			if v := &vs[i]; want != "" && v.Channel == ch && v.Version.Version == want && v.Yanked == nil {
				return v
			}
		}
	}
	return nil
}

// fileURL is where appFile serves file of the app's version.
func fileURL(app *store.App, version, file string) string {
	parts := strings.Split(file, "/")
	for i := range parts {
		parts[i] = url.PathEscape(parts[i])
	}
	return "/api/v1/apps/" + url.PathEscape(app.Slug) + "/files/" + strings.Join(parts, "/") +
		"?origin=" + url.QueryEscape(app.Origin.Key) + "&version=" + url.QueryEscape(version)
}

// appFile serves one image file that a version's manifest names (its icon
// or a screenshot), from the version's archive, sandboxed as the icon is.
// The version defaults to the one the app's page shows.
func (s *Server) appFile(c *gin.Context) error {
	app, err := s.appOf(c)
	if err != nil {
		return err
	}
	vs, err := s.st.Versions(c.Request.Context(), app.ID)
	if err != nil {
		return err
	}
	v := shownVersion(app, vs)
	if want := c.Query("version"); want != "" {
		i := slices.IndexFunc(vs, func(v store.Version) bool { return v.Version.Version == want })
		if i < 0 {
			return fail(http.StatusNotFound, "no such version")
		}
		v = &vs[i]
	}
	if v == nil {
		return fail(http.StatusNotFound, "no such file")
	}
	file := strings.TrimPrefix(c.Param("path"), "/")
	m, err := manifest.Parse(v.Manifest)
	if err != nil || file == "" || (file != m.Icon && !slices.Contains(m.Screenshots, file)) {
		return fail(http.StatusNotFound, "no such file")
	}
	ctype, ok := iconTypes[strings.ToLower(path.Ext(file))]
	if !ok {
		return fail(http.StatusNotFound, "no such file")
	}
	return s.serveImage(c, v.ArchiveSHA256, file, ctype)
}
