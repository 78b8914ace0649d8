package server

import (
	"errors"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hearth-cloud/hearth/registry/manifest"
	"github.com/hearth-cloud/hearth/registry/store"
)

// Limits of the changes feed.
const (
	DefaultChangesLimit = 500
	MaxChangesLimit     = 1000
)

func (s *Server) wellKnown(c *gin.Context) error {
	o := s.st.Origin()
	c.JSON(http.StatusOK, gin.H{"name": o.Name, "key": o.Key, "url": o.URL,
		"api": "/api/v1", "changes": "/api/v1/changes", "archives": "/archives/"})
	return nil
}

func (s *Server) listApps(c *gin.Context) error {
	q := store.Query{Q: c.Query("q"), Category: c.Query("category"),
		Channel: manifest.Channel(c.Query("channel")), Cursor: c.Query("cursor")}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > store.MaxLimit {
			return fail(http.StatusBadRequest, "limit: want 1 to %d", store.MaxLimit)
		}
		q.Limit = n
	}
	if since := c.Query("updated_since"); since != "" {
		t, err := time.Parse(time.RFC3339, since)
		if err != nil {
			return fail(http.StatusBadRequest, "updated_since: want an RFC 3339 time such as 2026-11-01T00:00:00Z")
		}
		q.UpdatedSince = t
	}
	page, err := s.st.Search(c.Request.Context(), q)
	if err != nil {
		return err
	}
	out := make([]appView, 0, len(page.Apps))
	for i := range page.Apps {
		out = append(out, viewApp(&page.Apps[i]))
	}
	body := gin.H{"apps": out}
	if page.Next != "" {
		body["next_cursor"] = page.Next
	}
	c.JSON(http.StatusOK, body)
	return nil
}

// appOf returns the app the request names: slug, and origin (default: this registry).
func (s *Server) appOf(c *gin.Context) (*store.App, error) {
	origin := c.Query("origin")
	if origin == "" {
		origin = s.st.Origin().Key
	}
	return s.st.App(c.Request.Context(), origin, c.Param("slug"))
}

func (s *Server) showApp(c *gin.Context) error {
	app, err := s.appOf(c)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	vs, err := s.st.Versions(ctx, app.ID)
	if err != nil {
		return err
	}
	as, err := s.st.Advisories(ctx, app.ID)
	if err != nil {
		return err
	}
	v := viewApp(app)
	v.Versions, v.Advisories, v.Entry = viewVersions(vs), viewAdvisories(as), app.Signed
	c.JSON(http.StatusOK, v)
	return nil
}

func (s *Server) listVersions(c *gin.Context) error {
	app, err := s.appOf(c)
	if err != nil {
		return err
	}
	vs, err := s.st.Versions(c.Request.Context(), app.ID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"versions": viewVersions(vs)})
	return nil
}

func (s *Server) latestVersion(c *gin.Context) error {
	channel := manifest.Channel(c.DefaultQuery("channel", string(manifest.ChannelStable)))
	switch channel {
	case manifest.ChannelStable, manifest.ChannelBeta, manifest.ChannelDev:
	default:
		return fail(http.StatusBadRequest, "channel: want stable, beta or dev")
	}
	app, err := s.appOf(c)
	if err != nil {
		return err
	}
	v, err := s.latest(c, app, channel)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewVersion(v))
	return nil
}

// latest returns the newest non-yanked version of app on channel.
func (s *Server) latest(c *gin.Context, app *store.App, channel manifest.Channel) (*store.Version, error) {
	want := app.Latest.Of(channel)
	if want == "" {
		return nil, fail(http.StatusNotFound, "no version on the %s channel", channel)
	}
	vs, err := s.st.Versions(c.Request.Context(), app.ID)
	if err != nil {
		return nil, err
	}
	for i := range vs {
		if v := &vs[i]; v.Channel == channel && v.Version.Version == want && v.Yanked == nil {
			return v, nil
		}
	}
	return nil, fail(http.StatusNotFound, "no version on the %s channel", channel)
}

func (s *Server) changes(c *gin.Context) error {
	since, err := strconv.ParseInt(c.DefaultQuery("since", "0"), 10, 64)
	if err != nil || since < 0 {
		return fail(http.StatusBadRequest, "since: want a sequence number, 0 or more")
	}
	limit, err := strconv.Atoi(c.DefaultQuery("limit", strconv.Itoa(DefaultChangesLimit)))
	if err != nil || limit < 1 || limit > MaxChangesLimit {
		return fail(http.StatusBadRequest, "limit: want 1 to %d", MaxChangesLimit)
	}
	changes, more, err := s.st.Changes(c.Request.Context(), since, limit)
	if err != nil {
		return err
	}
	type change struct {
		Seq int64 `json:"seq"`
		signedView
	}
	out := make([]change, len(changes))
	last := since
	for i, ch := range changes {
		out[i] = change{Seq: ch.Seq, signedView: signedView(ch.Signed)}
		last = ch.Seq
	}
	c.JSON(http.StatusOK, gin.H{"registry": s.st.Origin(), "changes": out, "last_seq": last, "more": more})
	return nil
}

// archiveNameRe is the file name of an archive: its sha256 and ".tar".
var archiveNameRe = regexp.MustCompile(`^[0-9a-f]{64}\.tar$`)

func (s *Server) archive(c *gin.Context) error {
	name := c.Param("file")
	if !archiveNameRe.MatchString(name) {
		return fail(http.StatusNotFound, "not found")
	}
	path, err := s.archives.Path(name[:64])
	if err != nil {
		return fail(http.StatusNotFound, "not found")
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fail(http.StatusNotFound, "not found")
	}
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	h := c.Writer.Header()
	h.Set("Content-Type", "application/x-tar")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"`+name[:64]+`"`)
	http.ServeContent(c.Writer, c.Request, "", st.ModTime(), f)
	return nil
}
