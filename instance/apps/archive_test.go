package apps_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hearth-cloud/hearth/instance/apps"
	"github.com/hearth-cloud/hearth/registry/archive"
	"github.com/hearth-cloud/hearth/registry/gitsource"
)

// A registry's archive is just another source: the same app installs from it with the same
// tree as from Git, after its hash is checked; an update of it goes through its registry.
func TestInstallFromAnArchive(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	snap, err := gitsource.Fetch(ctx, f.url, "v1.0.0", gitsource.Policy{AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	info, err := archive.Write(&buf, snap)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(buf.Bytes())
	}))
	t.Cleanup(srv.Close)
	src := apps.Source{URL: f.url, Ref: "v1.0.0", Archive: srv.URL + "/notes-1.0.0.tar", SHA256: info.SHA256}

	wrong := src
	wrong.SHA256 = "0000000000000000000000000000000000000000000000000000000000000000"
	if _, err := f.svc.Prepare(ctx, "i1", wrong); !errors.Is(err, apps.ErrSource) || !errors.Is(err, archive.ErrHash) {
		t.Fatalf("an archive with another hash: %v", err)
	}
	strict := &apps.Service{Fetcher: apps.RemoteFetcher{}, Trees: f.svc.Trees, Records: f.svc.Records}
	if _, err := strict.Prepare(ctx, "i1", src); !errors.Is(err, gitsource.ErrAddress) {
		t.Fatalf("an archive on loopback without AllowPrivate: %v", err)
	}

	plan, err := f.svc.Prepare(ctx, "i1", src)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Tree != snap.Tree || plan.Slug != "notes" {
		t.Fatalf("plan from the archive: tree %s (Git: %s), slug %s", plan.Tree, snap.Tree, plan.Slug)
	}
	in, err := f.svc.Accept(ctx, "i1", plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	if in.Source.Archive != src.Archive || in.Source.SHA256 != info.SHA256 {
		t.Errorf("recorded source: %+v", in.Source)
	}
	if _, err := f.svc.Update(ctx, "i1", "notes", "v2.0.0"); !errors.Is(err, apps.ErrSource) {
		t.Errorf("update of an archive install: %v", err)
	}
}
