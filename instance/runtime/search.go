package runtime

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"

	"github.com/gin-gonic/gin"
	kivik "github.com/go-kivik/kivik/v4"

	"github.com/hearth-cloud/hearth/instance/apps"
	"github.com/hearth-cloud/hearth/instance/auth"
	"github.com/hearth-cloud/hearth/instance/search"
	"github.com/hearth-cloud/hearth/instance/store"
)

// localeDoc is the document of an instance's settings database holding its locale.
const localeDoc = "locale"

// openSearch starts the full-text indexer under {data-dir}/search: every write of the Data
// System wakes it (Service.Written), without preparing an event nobody listens to.
func (rt *Runtime) openSearch() error {
	ix, err := search.New(search.Config{
		Dir:     filepath.Join(rt.cfg.DataDir, "search"),
		DBs:     rt.dbs,
		Fields:  rt.searchFields,
		Locale:  rt.Locale,
		Exclude: []string{apps.Doctype},
		Log:     rt.log,
	})
	if err != nil {
		return fmt.Errorf("runtime: search: %w", err)
	}
	rt.search = ix
	rt.data.Written = ix.Notify
	return nil
}

// searchFields merges the searchable fields the installed apps of an instance declare.
func (rt *Runtime) searchFields(ctx context.Context, instanceID string) (map[string][]string, error) {
	list, err := rt.apps.List(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, in := range list {
		m, err := rt.manifestOf(in)
		if err != nil {
			rt.log.Warn("runtime: manifest of an installed app", "instance", instanceID, "slug", in.Slug, "err", err)
			continue
		}
		for doctype, fields := range m.Search {
			for _, f := range fields {
				if !slices.Contains(out[doctype], f) {
					out[doctype] = append(out[doctype], f)
				}
			}
		}
	}
	return out, nil
}

func (rt *Runtime) settingsDB(instanceID string) *kivik.DB {
	return rt.client.DB(store.InstancePrefix(instanceID) + settingsDBSuffix)
}

// Locale returns an instance's locale ("" when none was set): it picks the analyzer of the
// instance's search index.
func (rt *Runtime) Locale(ctx context.Context, instanceID string) (string, error) {
	var doc struct {
		Locale string `json:"locale"`
	}
	err := rt.settingsDB(instanceID).Get(ctx, localeDoc).ScanDoc(&doc)
	if kivik.HTTPStatus(err) == http.StatusNotFound {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("runtime: read the locale: %w", err)
	}
	return doc.Locale, nil
}

// SetLocale records an instance's locale; its search index takes it at the next reindex.
func (rt *Runtime) SetLocale(ctx context.Context, instanceID, locale string) error {
	if !search.ValidLocale(locale) {
		return fmt.Errorf("%w: %q is not a locale such as en, fr or pt-BR", search.ErrBadRequest, locale)
	}
	db := rt.settingsDB(instanceID)
	if err := rt.client.CreateDB(ctx, db.Name()); err != nil && kivik.HTTPStatus(err) != http.StatusPreconditionFailed {
		return fmt.Errorf("runtime: settings database: %w", err)
	}
	doc := map[string]any{"locale": locale}
	var cur struct {
		Rev string `json:"_rev"`
	}
	if err := db.Get(ctx, localeDoc).ScanDoc(&cur); err == nil {
		doc["_rev"] = cur.Rev
	} else if kivik.HTTPStatus(err) != http.StatusNotFound {
		return fmt.Errorf("runtime: read the locale: %w", err)
	}
	if _, err := db.Put(ctx, localeDoc, doc); err != nil {
		return fmt.Errorf("runtime: record the locale: %w", err)
	}
	return nil
}

// Reindex rebuilds an instance's search index, first recording its locale when one is given.
func (rt *Runtime) Reindex(ctx context.Context, instanceID string, locale *string) (*search.ReindexResult, error) {
	if locale != nil {
		if err := rt.SetLocale(ctx, instanceID, *locale); err != nil {
			return nil, err
		}
	}
	return rt.search.Reindex(ctx, instanceID)
}

// searchRoutes serves GET /search: with a bearer token, the search API over the doctypes the
// token may read; with the owner's session, the search page (or the API over every doctype
// when the client asks for JSON).
func (rt *Runtime) searchRoutes(r gin.IRoutes) {
	r.OPTIONS("/search", dataCORS)
	r.GET("/search", dataCORS, rt.serveSearch)
	r.HEAD("/search", dataCORS, rt.serveSearch)
}

func (rt *Runtime) serveSearch(c *gin.Context) {
	if c.GetHeader("Authorization") == "" {
		rt.home.SearchPage(rt.search)(c)
		return
	}
	rt.requireToken(c)
	if c.IsAborted() {
		return
	}
	caller, _ := auth.CallerFrom(c.Request.Context())
	rt.search.ServeAPI(c.Writer, c.Request, search.Reader{Instance: caller.Instance, Doctypes: caller.Perms.Readable()})
}
