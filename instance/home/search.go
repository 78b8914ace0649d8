package home

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/hearth-cloud/hearth/instance/search"
)

// Searcher is the full-text search of the instances, as the search page uses it.
type Searcher interface {
	Search(ctx context.Context, rd search.Reader, p search.Params) (*search.Result, error)
	ServeAPI(w http.ResponseWriter, r *http.Request, rd search.Reader)
}

// searchHit is a hit as the page shows it: its fragments (safe HTML: the document's text
// escaped, the matches in <mark>) and the installed apps that declare its doctype.
type searchHit struct {
	search.Hit
	Fields []searchField
	Apps   []appLink
}

type searchField struct {
	Name      string
	Fragments []template.HTML
}

type appLink struct{ Slug, Name, Origin string }

type searchData struct {
	Q, Doctype, Problem string
	Result              *search.Result
	Hits                []searchHit
}

// SearchPage serves GET /search with the owner's session: the page searching every app's data,
// or, to a client asking for JSON, the search API's answer over every doctype. Without a
// session, the page goes to login and JSON gets 401.
func (h *Home) SearchPage(s Searcher) gin.HandlerFunc {
	return h.page(func(q *req) error {
		wantsJSON := strings.Contains(q.c.GetHeader("Accept"), "application/json") &&
			!strings.Contains(q.c.GetHeader("Accept"), "text/html")
		rd := search.Reader{Instance: q.inst.ID, All: true}
		switch {
		case q.session == nil && wantsJSON:
			q.c.Header("WWW-Authenticate", `Bearer realm="hearth"`)
			q.c.JSON(http.StatusUnauthorized, gin.H{"error": "unauthorized", "reason": "A bearer token or the owner's session is required."})
			return nil
		case q.session == nil:
			redirectLogin(q)
			return nil
		case wantsJSON:
			s.ServeAPI(q.c.Writer, q.c.Request, rd)
			return nil
		}
		return h.searchPage(q, s, rd)
	})
}

func (h *Home) searchPage(q *req, s Searcher, rd search.Reader) error {
	d := searchData{Q: q.c.Query("q"), Doctype: q.c.Query("doctype")}
	status := http.StatusOK
	if strings.TrimSpace(d.Q) != "" {
		p, err := search.ParamsFrom(q.c.Request)
		if err == nil {
			d.Result, err = s.Search(q.ctx(), rd, p)
		}
		switch {
		case errors.Is(err, search.ErrBadRequest), errors.Is(err, search.ErrForbidden):
			status, d.Problem = http.StatusBadRequest, search.Reason(err)
		case err != nil:
			return err
		default:
			owners := h.doctypeOwners(q)
			for _, hit := range d.Result.Hits {
				d.Hits = append(d.Hits, searchHit{Hit: hit, Fields: fieldsOf(hit), Apps: owners[hit.Doctype]})
			}
		}
	}
	h.render(q, status, "search", q.view("Search", d))
	return nil
}

// fieldsOf lists a hit's fragments by field name. Search made them safe: the document's text
// is escaped and only <mark> and </mark> are markup.
func fieldsOf(hit search.Hit) []searchField {
	var out []searchField
	names := make([]string, 0, len(hit.Fragments))
	for name := range hit.Fragments {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f := searchField{Name: name}
		for _, frag := range hit.Fragments[name] {
			f.Fragments = append(f.Fragments, template.HTML(frag)) //nolint:gosec // escaped by search, then marked
		}
		out = append(out, f)
	}
	return out
}

// doctypeOwners maps each doctype to the installed apps whose manifest asks for it.
func (h *Home) doctypeOwners(q *req) map[string][]appLink {
	out := map[string][]appLink{}
	list, err := h.cfg.Apps.List(q.ctx(), q.inst.ID)
	if err != nil {
		h.cfg.Log.Warn("home: list apps for search", "err", err)
		return out
	}
	for _, in := range list {
		m, err := in.App()
		if err != nil {
			continue
		}
		link := appLink{Slug: in.Slug, Name: m.Name, Origin: h.cfg.AppOrigin(q.c.Request, q.inst, in.Slug)}
		for _, p := range m.Permissions {
			if !containsApp(out[p.Doctype], in.Slug) {
				out[p.Doctype] = append(out[p.Doctype], link)
			}
		}
	}
	return out
}

func containsApp(list []appLink, slug string) bool {
	for _, a := range list {
		if a.Slug == slug {
			return true
		}
	}
	return false
}
