package home

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/hearth-cloud/hearth/instance/auth"
	"github.com/hearth-cloud/hearth/instance/devices"
	"github.com/hearth-cloud/hearth/web"
)

// realm is the request's instance as its devices see it.
func realm(q *req) devices.Realm {
	scheme := "http"
	if web.Secure(q.c.Request) {
		scheme = "https"
	}
	return devices.Realm{ID: q.inst.ID, Secret: q.inst.Secret, Issuer: scheme + "://" + q.inst.Domain}
}

type authorizeData struct {
	Name     string       // the name the device registered with
	ReturnTo string       // where the browser goes back to, as the owner should read it
	Fields   []hiddenPair // the request, posted back
	Scopes   []grantRow
}

type hiddenPair struct{ Name, Value string }

// grantRow is one doctype the device asks for, with what the owner may grant.
type grantRow struct {
	Doctype  string
	Asked    string // "read", "read and write", "create, update"
	CanRead  bool   // it asks for more than reading, including reading: "read only" is offered
	ReadOnly bool
}

// authorizeForm shows the owner what a device asks for (GET /oauth/authorize). A request
// with an unknown client or redirect URI is refused here; other bad requests go back to the
// client, as OAuth says.
func (h *Home) authorizeForm(q *req) error {
	rlm := realm(q)
	ar, err := h.cfg.Devices.ParseAuthorize(rlm, q.c.Request.URL.Query())
	if ar == nil {
		return h.authorizeRefused(q, err)
	}
	if err != nil {
		q.c.Redirect(http.StatusFound, ar.ErrorURL(rlm, err))
		return nil
	}
	if q.session == nil {
		redirectLogin(q)
		return nil
	}
	d := authorizeData{Name: ar.Client.Name, ReturnTo: returnTo(ar.RedirectURI)}
	for k, v := range ar.Values() {
		d.Fields = append(d.Fields, hiddenPair{k, v[0]})
	}
	slices.SortFunc(d.Fields, func(a, b hiddenPair) int { return strings.Compare(a.Name, b.Name) })
	for _, sc := range ar.Scopes {
		d.Scopes = append(d.Scopes, grantRow{Doctype: sc.Doctype, Asked: accessLabel(sc),
			CanRead: len(sc.Verbs) > 1 && slices.Contains(sc.Verbs, auth.VerbGet), ReadOnly: devices.ReadOnly(sc)})
	}
	h.cfg.Pages.Render(formActionTo(q.c.Writer, ar.RedirectURI), http.StatusOK, "authorize", q.view("Connect a device", d))
	return nil
}

// authorize is the owner's answer (POST /oauth/authorize): the browser goes back to the
// device with a code for what the owner granted, or with access_denied.
func (h *Home) authorize(q *req) error {
	rlm := realm(q)
	ar, err := h.cfg.Devices.ParseAuthorize(rlm, q.c.Request.PostForm)
	if ar == nil {
		return h.authorizeRefused(q, err)
	}
	if err != nil {
		return seeOther(q, ar.ErrorURL(rlm, err))
	}
	if q.c.PostForm("action") != "approve" {
		return seeOther(q, ar.Deny(rlm))
	}
	var granted auth.Permissions
	for _, sc := range ar.Scopes {
		switch q.c.PostForm("grant." + sc.Doctype) {
		case "asked":
			granted = append(granted, sc)
		case "read":
			if slices.Contains(sc.Verbs, auth.VerbGet) {
				granted = append(granted, auth.Scope{Doctype: sc.Doctype, Verbs: []string{auth.VerbGet}})
			}
		}
	}
	to, err := h.cfg.Devices.Approve(q.ctx(), rlm, ar, granted)
	if err != nil {
		return err
	}
	return seeOther(q, to)
}

func (h *Home) authorizeRefused(q *req, err error) error {
	text := "The request is invalid."
	if e, ok := devices.AsError(err); ok {
		text = cleanText(e.Description)
	}
	return h.message(q, http.StatusBadRequest, "This device cannot connect", text, "")
}

// accessLabel says what sc grants in words.
func accessLabel(sc auth.Scope) string {
	if len(sc.Verbs) == len(auth.AllVerbs) {
		return "read and write"
	}
	words := map[string]string{auth.VerbGet: "read", auth.VerbPost: "create", auth.VerbPut: "create and update", auth.VerbDelete: "delete"}
	var out []string
	for _, v := range sc.Verbs {
		out = append(out, words[v])
	}
	return strings.Join(out, ", ")
}

// returnTo is the redirect URI as the owner should read it: its origin, or its scheme.
func returnTo(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	if u.Host == "" {
		return u.Scheme + ":"
	}
	return u.Scheme + "://" + u.Host
}

var cspSourceRE = regexp.MustCompile(`^[a-z][a-z0-9+.-]*:(//[A-Za-z0-9.\-\[\]:]+)?$`)

// formActionTo lets the consent form's answer redirect to the device (browsers apply the
// form-action directive to redirects after a form is submitted).
func formActionTo(w http.ResponseWriter, redirectURI string) http.ResponseWriter {
	src := returnTo(redirectURI)
	if !cspSourceRE.MatchString(src) {
		return w
	}
	return &cspWriter{ResponseWriter: w, add: " " + src}
}

type cspWriter struct {
	http.ResponseWriter
	add string
}

func (w *cspWriter) WriteHeader(status int) {
	h := w.Header()
	h.Set("Content-Security-Policy", strings.Replace(h.Get("Content-Security-Policy"), "form-action 'self'", "form-action 'self'"+w.add, 1))
	w.ResponseWriter.WriteHeader(status)
}
