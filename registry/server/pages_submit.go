package server

import (
	"net/http"
	"strings"
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
	app, added, err := s.submitURL(ctx, q.pub, d.GitURL)
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
