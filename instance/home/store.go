package home

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hearth-cloud/hearth/instance/apps"
	"github.com/hearth-cloud/hearth/registry/client"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// storeTile is an app of the store. Everything in it comes from a registry: the templates
// escape it, nothing is marked safe.
type storeTile struct {
	*apps.CatalogApp
	Version string // the newest stable version, if any
	IconURL string // the icon, proxied through the instance
}

type storeData struct {
	Q            string
	Apps         []storeTile
	Problems     []apps.RegistryProblem
	NoRegistries bool
}

// maxQuery bounds the store's search words.
const maxQuery = 200

// store lists the apps of every registry the instance trusts.
func (h *Home) store(q *req) error {
	query := strings.TrimSpace(q.c.Query("q"))
	if len([]rune(query)) > maxQuery {
		query = string([]rune(query)[:maxQuery])
	}
	regs, err := h.cfg.Apps.Registries(q.ctx(), q.inst.ID)
	if err != nil {
		return err
	}
	d := storeData{Q: query, NoRegistries: len(regs) == 0}
	cat, err := h.cfg.Apps.Catalog(q.ctx(), q.inst.ID, client.Query{Q: query})
	if err != nil {
		return err
	}
	d.Problems = cat.Problems
	for _, a := range cat.Apps {
		icon := url.Values{"registry": {a.Registry.URL}, "origin": {a.Origin.Key}, "slug": {a.Slug}}
		d.Apps = append(d.Apps, storeTile{CatalogApp: a, Version: a.Latest[manifest.ChannelStable], IconURL: "/store/icon?" + icon.Encode()})
	}
	h.render(q, http.StatusOK, "store", q.view("Store", d))
	return nil
}

// storeInstall asks the registry for the app's newest version and shows what it asks for:
// nothing is installed until the owner accepts.
func (h *Home) storeInstall(q *req) error {
	ref := apps.StoreRef{Registry: q.c.PostForm("registry"), Origin: q.c.PostForm("origin"), Slug: q.c.PostForm("slug"),
		Channel: manifest.Channel(q.c.PostForm("channel"))}
	ctx, cancel := context.WithTimeout(q.ctx(), fetchTimeout)
	defer cancel()
	p, err := h.cfg.Apps.PrepareFromRegistry(ctx, q.inst.ID, ref)
	if err != nil {
		return h.appsError(q, err)
	}
	return h.planPage(q, p)
}

// storeIcon serves an app's icon from a trusted registry, so that the pages' policy keeps
// images to the instance's own origin. It is served as an image that can run nothing.
func (h *Home) storeIcon(q *req) error {
	data, ctype, err := h.cfg.Apps.Icon(q.ctx(), q.inst.ID, q.c.Query("registry"), q.c.Query("origin"), q.c.Query("slug"))
	if err != nil {
		h.cfg.Log.Debug("home: store icon", "err", err)
		q.c.Redirect(http.StatusFound, "/assets/hearth.svg")
		return nil
	}
	hd := q.c.Writer.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "private, max-age=3600")
	q.c.Data(http.StatusOK, ctype, data)
	return nil
}

// updateAllData is what "update all" did.
type updateAllData struct {
	Updated, Waiting, Failed []apps.Outcome
	Current                  int
}

// updateAll updates every app that needs no approval, and lists what waits for the owner.
func (h *Home) updateAll(q *req) error {
	ctx, cancel := context.WithTimeout(q.ctx(), 2*fetchTimeout)
	defer cancel()
	out, err := h.cfg.Apps.UpdateAll(ctx, q.inst.ID)
	if err != nil {
		return err
	}
	var d updateAllData
	for _, o := range out {
		if o.App != nil && h.cfg.Installed != nil {
			if err := h.cfg.Installed(q.ctx(), q.inst, o.App); err != nil {
				o.Status, o.Error = apps.OutcomeFailed, "updated but cannot run: "+clean(err)
			}
		}
		switch o.Status {
		case apps.OutcomeUpdated:
			d.Updated = append(d.Updated, o)
		case apps.OutcomeWaiting:
			d.Waiting = append(d.Waiting, o)
		case apps.OutcomeCurrent:
			d.Current++
		default:
			o.Error = cleanText(o.Error)
			d.Failed = append(d.Failed, o)
		}
	}
	h.render(q, http.StatusOK, "updates", q.view("Updates", d))
	return nil
}

// registryTimeout bounds how long the apps home waits for the registries' news of the
// installed apps; what did not come in time is left out.
const registryTimeout = 3 * time.Second

// registryStatuses asks the registries about the installed apps, all at once.
func (h *Home) registryStatuses(q *req, tiles []appTile) {
	ctx, cancel := context.WithTimeout(q.ctx(), registryTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for i := range tiles {
		if tiles[i].Source.Registry == nil {
			continue
		}
		wg.Go(func() { tiles[i].Registry = h.cfg.Apps.RegistryStatus(ctx, q.inst.ID, tiles[i].Installed, false) })
	}
	wg.Wait()
}
