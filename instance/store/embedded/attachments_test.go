package embedded

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	kivik "github.com/go-kivik/kivik/v4"
)

func readAtt(t *testing.T, db *kivik.DB, id, name string, opts ...kivik.Option) (string, *kivik.Attachment) {
	t.Helper()
	att, err := db.GetAttachment(context.Background(), id, name, opts...)
	if err != nil {
		t.Fatalf("get attachment %s/%s: %v", id, name, err)
	}
	defer att.Content.Close()
	data, err := io.ReadAll(att.Content)
	if err != nil {
		t.Fatal(err)
	}
	return string(data), att
}

func TestAttachments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := newTestDB(t)
	// Inline base64 data on Put.
	rev1 := mustPut(t, db, "a", map[string]any{"_attachments": map[string]any{
		"hello.txt": map[string]any{"content_type": "text/plain", "data": "aGVsbG8="},
	}})
	data, att := readAtt(t, db, "a", "hello.txt")
	if data != "hello" || att.ContentType != "text/plain" || att.Digest != "md5-XUFAKrxLKna5cZ2REBfFkg==" || att.RevPos != 1 || att.Size != 5 {
		t.Fatalf("attachment = %q %+v", data, att)
	}
	// PutAttachment keeps the other attachments and the body.
	rev2, err := db.PutAttachment(ctx, "a", &kivik.Attachment{Filename: "b.bin", ContentType: "application/x-b",
		Content: io.NopCloser(strings.NewReader("bbb"))}, kivik.Rev(rev1))
	if err != nil {
		t.Fatal(err)
	}
	doc := getMap(t, db, "a")
	atts := doc["_attachments"].(map[string]any)
	stub := atts["hello.txt"].(map[string]any)
	if len(atts) != 2 || stub["stub"] != true || stub["revpos"] != float64(1) || stub["length"] != float64(5) {
		t.Fatalf("attachments = %v", atts)
	}
	// A stub keeps the attachment; leaving one out drops it.
	rev3 := mustPut(t, db, "a", map[string]any{"_rev": rev2, "v": 1, "_attachments": map[string]any{
		"hello.txt": map[string]any{"stub": true},
	}})
	doc = getMap(t, db, "a", kivik.Param("attachments", true))
	atts = doc["_attachments"].(map[string]any)
	if len(atts) != 1 || atts["hello.txt"].(map[string]any)["data"] != "aGVsbG8=" {
		t.Fatalf("attachments with data = %v", atts)
	}
	_, err = db.Put(ctx, "a", map[string]any{"_rev": rev3, "_attachments": map[string]any{
		"nope.txt": map[string]any{"stub": true},
	}})
	wantStatus(t, err, http.StatusPreconditionFailed)
	// DeleteAttachment makes a new revision without it.
	_, err = db.DeleteAttachment(ctx, "a", rev3, "nope.txt")
	wantStatus(t, err, http.StatusNotFound)
	if _, err := db.DeleteAttachment(ctx, "a", rev3, "hello.txt"); err != nil {
		t.Fatal(err)
	}
	_, err = db.GetAttachment(ctx, "a", "hello.txt")
	wantStatus(t, err, http.StatusNotFound)
	// rev3 is no longer a leaf: its attachment stays readable until compaction.
	if _, err := db.GetAttachmentMeta(ctx, "a", "hello.txt", kivik.Rev(rev3)); err != nil {
		t.Fatalf("attachment of an inner revision before compaction: %v", err)
	}
	if err := db.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = db.GetAttachmentMeta(ctx, "a", "hello.txt", kivik.Rev(rev3))
	wantStatus(t, err, http.StatusNotFound)
}

func TestAttachmentsReplicated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, db := newTestDB(t)
	first := replicated("r", "1-a", 1, []string{"a"}, map[string]any{"_attachments": map[string]any{
		"f": map[string]any{"content_type": "text/plain", "data": "aGVsbG8=", "revpos": 1},
	}})
	second := replicated("r", "2-b", 2, []string{"b", "a"}, map[string]any{"_attachments": map[string]any{
		"f": map[string]any{"content_type": "text/plain", "stub": true, "revpos": 1, "digest": "md5-XUFAKrxLKna5cZ2REBfFkg=="},
	}})
	// A stub for an attachment this database never saw is refused.
	res, err := db.BulkDocs(ctx, []any{second}, kivik.Param("new_edits", false))
	if err != nil || len(res) != 1 || kivik.HTTPStatus(res[0].Error) != http.StatusPreconditionFailed {
		t.Fatalf("stub without data = %+v, %v", res, err)
	}
	if res, err := db.BulkDocs(ctx, []any{first, second}, kivik.Param("new_edits", false)); err != nil || len(res) != 0 {
		t.Fatalf("bulk = %+v, %v", res, err)
	}
	data, att := readAtt(t, db, "r", "f")
	if data != "hello" || att.RevPos != 1 {
		t.Fatalf("replicated attachment = %q %+v", data, att)
	}
}

func TestCompactDropsUnreferencedAttachments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, db := newTestDB(t)
	rev := mustPut(t, db, "a", map[string]any{"_attachments": map[string]any{
		"x": map[string]any{"data": "eHh4"}, "y": map[string]any{"data": "eXl5"},
	}})
	mustPut(t, db, "b", map[string]any{"_attachments": map[string]any{"x": map[string]any{"data": "eHh4"}}})
	mustPut(t, db, "a", map[string]any{"_rev": rev}) // drops both attachments from a
	if err := db.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	blobs := countRows(t, c, "test", "blobs")
	if blobs != 1 {
		t.Fatalf("%d blobs left, want 1 (x, still used by b)", blobs)
	}
	if data, _ := readAtt(t, db, "b", "x"); data != "xxx" {
		t.Fatalf("b/x = %q", data)
	}
}

func TestAttsSince(t *testing.T) {
	t.Parallel()
	_, db := newTestDB(t)
	rev1 := mustPut(t, db, "a", map[string]any{"_attachments": map[string]any{"old": map[string]any{"data": "b2xk"}}})
	rev2 := mustPut(t, db, "a", map[string]any{"_rev": rev1, "_attachments": map[string]any{
		"old": map[string]any{"stub": true}, "new": map[string]any{"data": "bmV3"},
	}})
	doc := getMap(t, db, "a", kivik.Param("attachments", true), kivik.Param("atts_since", `["`+rev1+`"]`))
	atts := doc["_attachments"].(map[string]any)
	if atts["old"].(map[string]any)["stub"] != true || atts["new"].(map[string]any)["data"] != "bmV3" {
		t.Fatalf("attachments since %s = %v", rev1, atts)
	}
	rows := db.BulkGet(context.Background(), []kivik.BulkGetReference{{ID: "a", Rev: rev2, AttsSince: rev1}},
		kivik.Param("attachments", true))
	t.Cleanup(func() { _ = rows.Close() })
	if !rows.Next() {
		t.Fatal(rows.Err())
	}
	if err := rows.ScanDoc(&doc); err != nil {
		t.Fatal(err)
	}
	if atts := doc["_attachments"].(map[string]any); atts["old"].(map[string]any)["stub"] != true {
		t.Fatalf("bulk get attachments = %v", atts)
	}
}
