package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/store"
)

type submitData struct {
	Proof, GitURL string
	Problems      []string // of a refused submission
}

type submittedData struct {
	Name, URL string
	Versions  []pageVersion
	Problems  []string
	Webhook   *webhookView
}

func (p *pages) submitForm(q *preq) error {
	p.render(q, http.StatusOK, "submit", "Submit an app", submitData{Proof: q.pub.Proof}, "", "")
	return nil
}

// submit proves ownership of the Git URL, indexes it and adds the app, as
// POST /api/v1/apps does, and shows the versions found and every problem.
func (p *pages) submit(q *preq) error {
	s, ctx := p.s, q.c.Request.Context()
	d := submitData{Proof: q.pub.Proof, GitURL: strings.TrimSpace(q.c.PostForm("git_url"))}
	refuse := func(err error) error {
		status, msg, extra := s.classify(err)
		if status == http.StatusInternalServerError {
			return err
		}
		d.Problems, _ = extra["problems"].([]string)
		p.render(q, status, "submit", "Submit an app", d, "", msg)
		return nil
	}
	if d.GitURL == "" || len(d.GitURL) > entry.MaxSourceURLen {
		return refuse(fail(http.StatusBadRequest, "Git URL: required, at most %d bytes", entry.MaxSourceURLen))
	}
	if err := s.checkOwnership(ctx, d.GitURL, q.pub); err != nil {
		return refuse(err)
	}
	res, err := s.indexer.Index(ctx, d.GitURL, nil)
	if err != nil {
		return refuse(err)
	}
	problems := problemStrings(res.Problems)
	if res.Slug == "" {
		return refuse(&httpError{status: http.StatusUnprocessableEntity, extra: map[string]any{"problems": problems},
			msg: "no release tag nor the default branch holds a valid hearth.json"})
	}
	app, added, err := s.st.CreateApp(ctx, q.pub.ID, indexedOf(d.GitURL, res, problems))
	if errors.Is(err, store.ErrExists) {
		return refuse(fail(http.StatusConflict, "the slug %q is taken on this registry", res.Slug))
	}
	if err != nil {
		return refuse(err)
	}
	own := viewOwnApp(app)
	if own.Webhook != nil {
		own.Webhook.URL = s.st.Origin().URL + own.Webhook.URL
	}
	p.render(q, http.StatusCreated, "submitted", "Submitted", submittedData{Name: app.Name,
		URL: appPageURL(app.Slug, app.Origin.Key, app.Origin.Key), Versions: pageVersions(added), Problems: own.Problems,
		Webhook: own.Webhook}, "", "")
	return nil
}
