package server

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/hearth-cloud/hearth/registry/entry"
	"github.com/hearth-cloud/hearth/registry/gitindex"
	"github.com/hearth-cloud/hearth/registry/gitsource"
	"github.com/hearth-cloud/hearth/registry/manifest"
	"github.com/hearth-cloud/hearth/registry/store"
)

// ProofFile is the file at the root of the default branch that proves the
// repository is the publisher's: it holds their proof token.
const ProofFile = ".hearth-proof"

// MaxProblems bounds the problems kept for an app.
const MaxProblems = 100

func (s *Server) submit(c *gin.Context, p *store.Publisher) error {
	var in struct {
		GitURL string `json:"git_url"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	app, added, err := s.submitURL(c.Request.Context(), p, in.GitURL)
	if err != nil {
		return err
	}
	own := viewOwnApp(app)
	c.JSON(http.StatusCreated, gin.H{"app": viewApp(app), "versions": viewVersions(added),
		"problems": own.Problems, "webhook": own.Webhook})
	return nil
}

// submitURL is a submission, from the API or the submit page: it checks that the repository
// at gitURL is p's, indexes it and records the new app with the versions it found. Its
// errors are *httpError (422 with the problems when no version is valid, 409 for a taken
// slug) or internal ones.
func (s *Server) submitURL(ctx context.Context, p *store.Publisher, gitURL string) (*store.App, []store.Version, error) {
	if gitURL == "" || len(gitURL) > entry.MaxSourceURLen {
		return nil, nil, fail(http.StatusBadRequest, "git_url: required, at most %d bytes", entry.MaxSourceURLen)
	}
	if err := s.checkOwnership(ctx, gitURL, p); err != nil {
		return nil, nil, err
	}
	res, err := s.indexer.Index(ctx, gitURL, nil)
	if err != nil {
		return nil, nil, err
	}
	problems := problemStrings(res.Problems)
	if res.Slug == "" {
		return nil, nil, &httpError{status: http.StatusUnprocessableEntity, extra: gin.H{"problems": problems},
			msg: "no release tag nor the default branch holds a valid hearth.json"}
	}
	app, added, err := s.st.CreateApp(ctx, p.ID, indexedOf(gitURL, res, problems))
	if errors.Is(err, store.ErrExists) {
		return nil, nil, fail(http.StatusConflict, "the slug %q is taken on this registry", res.Slug)
	}
	return app, added, err
}

// checkOwnership reads the default branch of url and checks that its
// .hearth-proof holds p's proof token, and that its slug is free.
func (s *Server) checkOwnership(ctx context.Context, url string, p *store.Publisher) error {
	snap, err := gitsource.Fetch(ctx, url, "", s.cfg.Policy)
	if err != nil {
		return err
	}
	proof, err := snap.ReadFile(ProofFile)
	if err != nil || subtle.ConstantTimeCompare(bytes.TrimSpace(proof), []byte(p.Proof)) != 1 {
		return fail(http.StatusUnprocessableEntity,
			"ownership: the default branch has no %s file holding your proof token", ProofFile)
	}
	if data, err := snap.ReadFile(manifest.FileName); err == nil {
		if m, err := manifest.Parse(data); err == nil && manifest.ValidSlug(m.Slug) {
			if _, err := s.st.App(ctx, s.st.Origin().Key, m.Slug); err == nil {
				return fail(http.StatusConflict, "the slug %q is taken on this registry", m.Slug)
			}
		}
	}
	return nil
}

func (s *Server) refresh(c *gin.Context, _ *store.Publisher, app *store.App) error {
	added, problems, err := s.reindex(c.Request.Context(), app.ID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"versions": viewVersions(added), "problems": problems})
	return nil
}

// reindex indexes one app of this registry again from its known refs and
// records what is new. An unchanged repository costs one ref listing and
// writes nothing.
func (s *Server) reindex(ctx context.Context, appID int64) ([]store.Version, []string, error) {
	mu, _ := s.appLocks.LoadOrStore(appID, new(sync.Mutex))
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RefreshTimeout)
	defer cancel()
	app, err := s.st.AppByID(ctx, appID)
	if err != nil {
		return nil, nil, err
	}
	if app.PublisherID == 0 {
		return nil, nil, store.ErrNotFound // mirrored: its origin indexes it
	}
	res, err := s.indexer.Index(ctx, app.Source, app.Refs)
	if err != nil {
		return nil, nil, err
	}
	if res.Unchanged {
		return nil, app.Problems, nil
	}
	problems := mergeProblems(problemStrings(res.Problems), app.Problems)
	saved, added, err := s.st.SaveIndex(ctx, app.ID, indexedOf(app.Source, res, problems))
	if err != nil {
		return nil, nil, err
	}
	return added, saved.Problems, nil
}

// indexedOf is what the store records of an index run.
func indexedOf(url string, res *gitindex.Result, problems []string) store.Indexed {
	in := store.Indexed{GitURL: url, Slug: res.Slug, Problems: problems, Refs: res.Refs}
	for i := range res.Versions {
		in.Versions = append(in.Versions, entryVersion(&res.Versions[i]))
	}
	if res.Dev != nil {
		v := entryVersion(res.Dev)
		in.Dev = &v
	}
	return in
}

func entryVersion(v *gitindex.Version) entry.Version {
	return entry.Version{Version: v.Version, Channel: v.Channel, Tag: v.Tag, Commit: v.Commit, Tree: v.Tree,
		Manifest: v.Manifest, ArchiveSHA256: v.ArchiveSHA256, ArchiveSize: v.ArchiveSize}
}

func problemStrings(ps []gitindex.Problem) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

// mergeProblems keeps this run's problems first, then the earlier ones
// not repeated, at most MaxProblems.
func mergeProblems(now, before []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range append(append([]string(nil), now...), before...) {
		if !seen[p] && len(out) < MaxProblems {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
