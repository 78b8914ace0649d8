package home

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"strings"
	"time"

	"github.com/hearth-cloud/hearth/instance/apps"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// appTile is an installed app as the home page and its details page show it.
type appTile struct {
	*apps.Installed
	Name, Version, Kind, Description, Origin, State string
	Updated                                         bool // updated since installed
	// Registry is what the registry the app came from says of the installed version (nil for
	// an app from Git, or when not asked).
	Registry *apps.RegistryStatus
}

// Attention tells whether the registry has news the owner should see on the tile.
func (t appTile) Attention() bool {
	r := t.Registry
	return r != nil && (r.Update != "" || r.Deprecated != nil || r.Yanked != nil || len(r.Advisories) > 0)
}

func (h *Home) tile(q *req, in *apps.Installed) appTile {
	t := appTile{Installed: in, Name: in.Slug, Origin: h.cfg.AppOrigin(q.c.Request, q.inst, in.Slug),
		Updated: in.UpdatedAt.Sub(in.InstalledAt) > time.Minute}
	if m, err := in.App(); err == nil {
		t.Name, t.Version, t.Kind, t.Description = m.Name, m.Version, string(m.Kind), m.Description
		if m.Kind == manifest.KindNode && h.cfg.Runner != nil {
			t.State = h.cfg.Runner.State(q.inst.ID, in.Slug).State
		}
	}
	return t
}

type homeData struct{ Apps []appTile }

func (h *Home) appsHome(q *req) error { return h.appsHomeWith(q, http.StatusOK, "", "") }

func (h *Home) appsHomeWith(q *req, status int, notice, errMsg string) error {
	list, err := h.cfg.Apps.List(q.ctx(), q.inst.ID)
	if err != nil {
		return err
	}
	var d homeData
	for _, in := range list {
		d.Apps = append(d.Apps, h.tile(q, in))
	}
	h.registryStatuses(q, d.Apps)
	v := q.view("Apps", d)
	v.Notice, v.Error = notice, errMsg
	h.render(q, status, "home", v)
	return nil
}

// fetchTimeout bounds fetching an app's source for an install or an update.
const fetchTimeout = 2 * time.Minute

// install fetches the app at the URL and shows what it asks for: nothing is installed until
// the owner accepts.
func (h *Home) install(q *req) error {
	src := apps.Source{URL: strings.TrimSpace(q.c.PostForm("url")), Ref: strings.TrimSpace(q.c.PostForm("ref"))}
	ctx, cancel := context.WithTimeout(q.ctx(), fetchTimeout)
	defer cancel()
	p, err := h.cfg.Apps.Prepare(ctx, q.inst.ID, src)
	if err != nil {
		return h.appsError(q, err)
	}
	return h.planPage(q, p)
}

// appsError shows an install or update failure on the home page, when the owner can act on it.
func (h *Home) appsError(q *req, err error) error {
	status, msg := userError(err)
	if status == http.StatusInternalServerError {
		return err
	}
	return h.appsHomeWith(q, status, "", msg)
}

type permRow struct {
	Doctype, Verbs, Reason string
	New                    bool
}

type planData struct {
	Plan        *apps.Plan
	Description string
	ShortCommit string
	Perms       []permRow
}

func (h *Home) planPage(q *req, p *apps.Plan) error {
	d := planData{Plan: p, ShortCommit: p.Commit}
	if len(d.ShortCommit) > 12 {
		d.ShortCommit = d.ShortCommit[:12]
	}
	if m, err := manifest.Parse(p.Manifest); err == nil {
		d.Description = m.Description
	}
	isNew := map[string]bool{}
	for _, np := range p.NewPermissions {
		isNew[np.Scope()] = true
	}
	for _, perm := range p.Permissions {
		d.Perms = append(d.Perms, permRow{Doctype: perm.Doctype, Verbs: strings.Join(perm.Granted(), " "),
			Reason: perm.Description, New: p.Update && isNew[perm.Scope()]})
	}
	h.render(q, http.StatusOK, "plan", q.view(p.Name, d))
	return nil
}

func (h *Home) showPlan(q *req) error {
	p, err := h.cfg.Apps.Plan(q.ctx(), q.inst.ID, q.c.Param("plan"))
	if err != nil {
		return h.appsError(q, err)
	}
	return h.planPage(q, p)
}

func (h *Home) acceptPlan(q *req) error {
	in, err := h.cfg.Apps.Accept(q.ctx(), q.inst.ID, q.c.Param("plan"))
	if err != nil {
		return h.appsError(q, err)
	}
	return h.afterInstall(q, in, "installed")
}

// afterInstall lets the runtime prepare the new version (a node app's dependencies) and
// says how it went.
func (h *Home) afterInstall(q *req, in *apps.Installed, what string) error {
	name := h.tile(q, in).Name
	if h.cfg.Installed != nil {
		if err := h.cfg.Installed(q.ctx(), q.inst, in); err != nil {
			h.cfg.Log.Warn("home: prepare app", "app", in.Slug, "instance", q.inst.Domain, "err", err)
			return h.appsHomeWith(q, http.StatusUnprocessableEntity, "",
				fmt.Sprintf("%s was %s but cannot run: %s", name, what, strings.TrimSuffix(clean(err), ".")+"."))
		}
	}
	return h.appsHomeWith(q, http.StatusOK, fmt.Sprintf("%s is %s.", name, what), "")
}

type appData struct {
	App    appTile
	Status *AppState
	Logs   string
}

func (h *Home) appDetails(q *req) error {
	in, err := h.cfg.Apps.Get(q.ctx(), q.inst.ID, q.c.Param("slug"))
	if err != nil {
		return h.appsError(q, err)
	}
	d := appData{App: h.tile(q, in)}
	d.App.Registry = h.cfg.Apps.RegistryStatus(q.ctx(), q.inst.ID, in, true)
	if d.App.Kind == string(manifest.KindNode) && h.cfg.Runner != nil {
		st := h.cfg.Runner.State(q.inst.ID, in.Slug)
		d.Status, d.Logs = &st, h.cfg.Runner.Logs(q.inst.ID, in.Slug)
	}
	h.render(q, http.StatusOK, "app", q.view(d.App.Name, d))
	return nil
}

func (h *Home) update(q *req) error {
	ctx, cancel := context.WithTimeout(q.ctx(), fetchTimeout)
	defer cancel()
	res, err := h.cfg.Apps.Update(ctx, q.inst.ID, q.c.Param("slug"), strings.TrimSpace(q.c.PostForm("ref")))
	if err != nil {
		return h.appsError(q, err)
	}
	if res.Current {
		return h.appsHomeWith(q, http.StatusOK, h.tile(q, res.App).Name+" is up to date.", "")
	}
	if !res.Applied {
		return h.planPage(q, res.Plan)
	}
	return h.afterInstall(q, res.App, "up to date, at "+res.Plan.Version)
}

func (h *Home) remove(q *req) error {
	slug := q.c.Param("slug")
	deleteData := q.c.PostForm("delete_data") != ""
	in, err := h.cfg.Apps.Get(q.ctx(), q.inst.ID, slug)
	if err != nil {
		return h.appsError(q, err)
	}
	name := h.tile(q, in).Name
	if _, err := h.cfg.Apps.Uninstall(q.ctx(), q.inst.ID, slug, deleteData, h.cfg.RemoveDoctype); err != nil {
		return h.appsError(q, err)
	}
	if h.cfg.Removed != nil {
		h.cfg.Removed(q.ctx(), q.inst, slug, deleteData)
	}
	msg := name + " is removed; its data stays in your Hearth."
	if deleteData {
		msg = name + " is removed with the data only it used."
	}
	return h.appsHomeWith(q, http.StatusOK, msg, "")
}

// iconTypes are the icon formats served, by extension.
var iconTypes = map[string]string{".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
	".jpeg": "image/jpeg", ".webp": "image/webp", ".gif": "image/gif"}

// maxIcon bounds the size of an icon served.
const maxIcon = 512 << 10

// appIcon serves the icon the manifest names, from the installed tree, or Hearth's own.
// SVG is served under a policy that runs nothing, whatever it holds.
func (h *Home) appIcon(q *req) error {
	in, err := h.cfg.Apps.Get(q.ctx(), q.inst.ID, q.c.Param("slug"))
	if err != nil {
		return h.appsError(q, err)
	}
	m, err := in.App()
	if err != nil || m.Icon == "" || iconTypes[strings.ToLower(path.Ext(m.Icon))] == "" {
		q.c.Redirect(http.StatusFound, "/assets/hearth.svg")
		return nil
	}
	data, err := h.readTreeFile(q.ctx(), in, m.Icon)
	if err != nil {
		h.cfg.Log.Debug("home: app icon", "app", in.Slug, "err", err)
		q.c.Redirect(http.StatusFound, "/assets/hearth.svg")
		return nil
	}
	hd := q.c.Writer.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "private, max-age=300")
	q.c.Data(http.StatusOK, iconTypes[strings.ToLower(path.Ext(m.Icon))], data)
	return nil
}

// readTreeFile reads one small file of an installed tree, confined to it.
func (h *Home) readTreeFile(ctx context.Context, in *apps.Installed, name string) ([]byte, error) {
	dir, err := h.cfg.Apps.TreeDir(ctx, in)
	if err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.Open(strings.TrimPrefix(path.Clean("/"+name), "/"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxIcon+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxIcon {
		return nil, errors.New("home: icon too large")
	}
	return data, nil
}
