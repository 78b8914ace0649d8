package apps_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	kivik "github.com/go-kivik/kivik/v4"

	"github.com/hearth-cloud/hearth/instance/apps"
	_ "github.com/hearth-cloud/hearth/instance/store/embedded"
	"github.com/hearth-cloud/hearth/internal/testsvc"
	"github.com/hearth-cloud/hearth/registry/gitsource"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

// records keeps each instance's app records in an embedded database.
type records struct{ client *kivik.Client }

func (r records) DB(ctx context.Context, instanceID string) (*kivik.DB, error) {
	name := "apps_" + instanceID
	if err := r.client.CreateDB(ctx, name); err != nil && kivik.HTTPStatus(err) != 412 {
		return nil, err
	}
	return r.client.DB(name), nil
}

func hearthJSON(version string, perms map[string]string) string {
	var ps []string
	for doctype, verbs := range perms {
		key := strings.ReplaceAll(doctype, ".", "-")
		ps = append(ps, fmt.Sprintf(`%q: {"doctype": %q, "verbs": [%s], "description": "To keep your notes."}`, key, doctype, verbs))
	}
	return fmt.Sprintf(`{"slug": "notes", "name": "Notes", "version": %q, "kind": "static",
		"permissions": {%s}}`, version, strings.Join(ps, ","))
}

type fixture struct {
	svc  *apps.Service
	repo string // bare repository
	url  string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	client, err := kivik.New("hearth", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	repo := testsvc.GitRepo(t, map[string]string{
		"hearth.json": hearthJSON("1.0.0", map[string]string{"io.hearth.notes": `"GET", "POST"`}),
		"index.html":  "<h1>Notes</h1>",
	}, "v1.0.0")
	base := testsvc.GitHTTP(t, filepath.Dir(repo))
	svc := &apps.Service{
		Fetcher: apps.RemoteFetcher{Policy: gitsource.Policy{AllowPrivate: true}},
		Trees:   gitsource.TreeStore{Dir: t.TempDir()},
		Records: records{client},
	}
	return &fixture{svc: svc, repo: repo, url: base + "/" + filepath.Base(repo)}
}

func TestInstallUpdateUninstall(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	plan, err := f.svc.Prepare(ctx, "i1", apps.Source{URL: f.url, Ref: "v1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Slug != "notes" || plan.Version != "1.0.0" || len(plan.NewPermissions) != 1 || !plan.NeedsApproval() {
		t.Fatalf("plan = %+v", plan)
	}
	if list, _ := f.svc.List(ctx, "i1"); len(list) != 0 {
		t.Fatalf("installed before acceptance: %v", list)
	}
	in, err := f.svc.Accept(ctx, "i1", plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(in.Scopes, " ") != "io.hearth.notes:GET,POST" {
		t.Errorf("scopes = %v", in.Scopes)
	}
	if _, err := f.svc.Accept(ctx, "i1", plan.ID); !errors.Is(err, apps.ErrNoPlan) {
		t.Errorf("a plan accepted twice: %v", err)
	}
	dir, err := f.svc.Trees.Path(in.Tree)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "index.html")); err != nil || string(b) != "<h1>Notes</h1>" {
		t.Fatalf("installed tree: %q %v", b, err)
	}

	// Another instance installing the same version shares the tree.
	p2, err := f.svc.Prepare(ctx, "i2", apps.Source{URL: f.url, Ref: "v1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	in2, err := f.svc.Accept(ctx, "i2", p2.ID)
	if err != nil || in2.Tree != in.Tree {
		t.Fatalf("second instance: tree %s vs %s, %v", in2.Tree, in.Tree, err)
	}
	if _, err := f.svc.Prepare(ctx, "i1", apps.Source{URL: f.url}); !errors.Is(err, apps.ErrInstalled) {
		t.Errorf("install twice: %v", err)
	}

	// An update asking for nothing new applies at once.
	testsvc.GitCommit(t, f.repo, map[string]string{
		"hearth.json": hearthJSON("1.1.0", map[string]string{"io.hearth.notes": `"GET"`}),
		"index.html":  "<h1>Notes 1.1</h1>",
	}, "v1.1.0")
	res, err := f.svc.Update(ctx, "i1", "notes", "v1.1.0")
	if err != nil || !res.Applied || res.Plan.FromVersion != "1.0.0" {
		t.Fatalf("update to 1.1.0: %+v %v", res, err)
	}
	// One asking for more waits for the owner; the running version stays.
	testsvc.GitCommit(t, f.repo, map[string]string{
		"hearth.json": hearthJSON("2.0.0", map[string]string{"io.hearth.notes": `"GET", "DELETE"`, "io.hearth.contacts": `"GET"`}),
		"index.html":  "<h1>Notes 2</h1>",
	}, "v2.0.0")
	res, err = f.svc.Update(ctx, "i1", "notes", "v2.0.0")
	if err != nil || res.Applied || len(res.Plan.NewPermissions) != 2 {
		t.Fatalf("update to 2.0.0: %+v %v", res, err)
	}
	cur, _ := f.svc.Get(ctx, "i1", "notes")
	if m, _ := cur.App(); m.Version != "1.1.0" || cur.Pending == nil {
		t.Fatalf("while waiting: version %s, pending %v", m.Version, cur.Pending)
	}
	// The pending update outlives the plans kept in memory (a restart): a fresh service shows
	// it and accepts it.
	f.svc = &apps.Service{Fetcher: f.svc.Fetcher, Trees: f.svc.Trees, Records: f.svc.Records}
	if p, err := f.svc.Plan(ctx, "i1", res.Plan.ID); err != nil || p.Version != "2.0.0" {
		t.Fatalf("Plan of the pending update after a restart: %+v %v", p, err)
	}
	if _, err := f.svc.Plan(ctx, "other", res.Plan.ID); !errors.Is(err, apps.ErrNoPlan) {
		t.Fatalf("Plan on another instance: %v, want ErrNoPlan", err)
	}
	if cur, err = f.svc.Accept(ctx, "i1", res.Plan.ID); err != nil {
		t.Fatal(err)
	}
	if m, _ := cur.App(); m.Version != "2.0.0" || cur.Pending != nil || len(cur.Scopes) != 2 {
		t.Fatalf("after approval: %v %+v", m.Version, cur)
	}

	// Uninstall keeps the data unless asked; a doctype another app holds is always kept.
	var removed []string
	remove := func(_ context.Context, inst, doctype string) error {
		removed = append(removed, inst+"/"+doctype)
		return nil
	}
	kept, err := f.svc.Uninstall(ctx, "i2", "notes", false, remove)
	if err != nil || len(removed) != 0 || len(kept.Kept) != 1 {
		t.Fatalf("uninstall keeping data: %+v %v %v", kept, removed, err)
	}
	gone, err := f.svc.Uninstall(ctx, "i1", "notes", true, remove)
	if err != nil || len(gone.Deleted) != 2 {
		t.Fatalf("uninstall deleting data: %+v %v", gone, err)
	}
	if _, err := f.svc.Get(ctx, "i1", "notes"); !errors.Is(err, apps.ErrNotInstalled) {
		t.Errorf("still installed: %v", err)
	}
}

func TestPrepareRefuses(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	broken := testsvc.GitRepo(t, map[string]string{"hearth.json": `{"slug": "Bad Slug", "version": "1"}`})
	brokenURL := testsvc.GitHTTP(t, filepath.Dir(broken)) + "/" + filepath.Base(broken)
	none := testsvc.GitRepo(t, map[string]string{"index.html": "x"})
	noneURL := testsvc.GitHTTP(t, filepath.Dir(none)) + "/" + filepath.Base(none)
	strict := &apps.Service{Fetcher: apps.RemoteFetcher{}, Trees: f.svc.Trees, Records: f.svc.Records}
	tests := []struct {
		name string
		svc  *apps.Service
		src  apps.Source
		is   error
		msg  string
	}{
		{"broken manifest", f.svc, apps.Source{URL: brokenURL}, apps.ErrManifest, "slug"},
		{"no manifest", f.svc, apps.Source{URL: noneURL}, apps.ErrManifest, manifest.FileName},
		{"missing ref", f.svc, apps.Source{URL: f.url, Ref: "v9.9.9"}, apps.ErrSource, "v9.9.9"},
		{"file URL", f.svc, apps.Source{URL: "file://" + f.repo}, apps.ErrSource, "file"},
		{"loopback without permission", strict, apps.Source{URL: f.url}, apps.ErrSource, "127.0.0.1"},
		{"metadata address", strict, apps.Source{URL: "http://169.254.169.254/app.git"}, apps.ErrSource, "169.254.169.254"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.svc.Prepare(ctx, "i1", tt.src)
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Prepare = %v, want %v mentioning %q", err, tt.is, tt.msg)
			}
		})
	}
	if list, err := f.svc.List(ctx, "i1"); err != nil || len(list) != 0 {
		t.Errorf("something got installed: %v %v", list, err)
	}
}
