package datasystest

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"testing"
)

// attType is an unusual content type, so that no server default hides a bug.
const attType = "application/x-hearth-test"

// binData returns every byte value, twice.
func binData() []byte {
	b := make([]byte, 512)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func md5Digest(data []byte) string {
	sum := md5.Sum(data)
	return "md5-" + base64.StdEncoding.EncodeToString(sum[:])
}

// putAtt attaches data as name to doc id at rev and returns the new rev.
func (d *tdb) putAtt(id, name, rev string, data []byte) string {
	d.t.Helper()
	path := "/" + esc(id) + "/" + pathEscape(name)
	if rev != "" {
		path += "?rev=" + rev
	}
	m := d.req("PUT", path, raw(data), "Content-Type", attType).want(201, 202).obj()
	newRev, _ := m["rev"].(string)
	if m["ok"] != true || newRev == "" {
		d.t.Fatalf("PUT attachment %s: %v", name, m)
	}
	return newRev
}

// checkAtt reads an attachment at path and compares bytes and type.
func (d *tdb) checkAtt(path string, want []byte) {
	d.t.Helper()
	r := d.req("GET", path, nil).want(200)
	if !bytes.Equal(r.Body, want) {
		d.t.Errorf("GET %s: %d bytes, want %d equal bytes", path, len(r.Body), len(want))
	}
	if ct := r.Header.Get("Content-Type"); ct != attType {
		d.t.Errorf("GET %s: Content-Type %q, want %q", path, ct, attType)
	}
}

// stub returns the _attachments entry name of doc.
func stub(t *testing.T, doc map[string]any, name string) map[string]any {
	t.Helper()
	atts, _ := doc["_attachments"].(map[string]any)
	s, _ := atts[name].(map[string]any)
	if s == nil {
		t.Fatalf("no attachment %q in %v", name, doc)
	}
	return s
}

func attachmentCases() []testCase {
	data := binData()
	return []testCase{
		{name: "PutGetStub", run: func(t *testing.T, db *tdb) {
			rev := db.put("a", map[string]any{"v": 1})
			rev2 := db.putAtt("a", "f.bin", rev, data)
			if gen(t, rev2) != 2 {
				t.Errorf("rev after attaching = %s", rev2)
			}
			db.checkAtt("/a/f.bin", data)
			doc := db.get("/a")
			s := stub(t, doc, "f.bin")
			if s["stub"] != true || s["digest"] != md5Digest(data) || num(s["length"]) != len(data) ||
				s["content_type"] != attType || num(doc["v"]) != 1 {
				t.Errorf("stub = %v", s)
			}
		}},
		{name: "NewDoc", run: func(t *testing.T, db *tdb) {
			rev := db.putAtt("fresh", "f.bin", "", data)
			if gen(t, rev) != 1 {
				t.Errorf("rev = %s", rev)
			}
			db.checkAtt("/fresh/f.bin", data)
		}},
		{name: "InlineBase64", run: testInlineAttachments},
		{name: "KeepStubsOnUpdate", run: func(t *testing.T, db *tdb) {
			db.putAtt("a", "f.bin", "", data)
			doc := db.get("/a")
			doc["v"] = 2
			db.put("a", doc)
			db.checkAtt("/a/f.bin", data)
		}},
		{name: "Delete", run: func(t *testing.T, db *tdb) {
			rev := db.putAtt("a", "f.bin", "", data)
			m := db.req("DELETE", "/a/f.bin?rev="+rev, nil).want(200).obj()
			if m["ok"] != true || gen(t, m["rev"].(string)) != 2 {
				t.Errorf("DELETE attachment = %v", m)
			}
			db.req("GET", "/a/f.bin", nil).wantErr("not_found", 404)
			if atts, _ := db.get("/a")["_attachments"].(map[string]any); len(atts) != 0 {
				t.Errorf("_attachments after delete = %v", atts)
			}
			db.checkAtt("/a/f.bin?rev="+rev, data)
		}},
		{name: "SlashInName", run: func(t *testing.T, db *tdb) {
			db.putAtt("a", "dir/f.bin", "", data)
			db.checkAtt("/a/dir%2Ff.bin", data)
			db.checkAtt("/a/dir/f.bin", data)
			stub(t, db.get("/a"), "dir/f.bin")
		}},
		{name: "Missing", run: func(t *testing.T, db *tdb) {
			db.put("a", map[string]any{})
			db.req("GET", "/a/nope.bin", nil).wantErr("not_found", 404)
			db.req("GET", "/nodoc/nope.bin", nil).wantErr("not_found", 404)
		}},
		{name: "StaleRev", run: func(t *testing.T, db *tdb) {
			rev := db.put("a", map[string]any{})
			db.put("a", map[string]any{"_rev": rev})
			db.req("PUT", "/a/f.bin?rev="+rev, raw(data), "Content-Type", attType).wantErr("conflict", 409)
		}},
	}
}

func testInlineAttachments(t *testing.T, db *tdb) {
	data := binData()
	db.put("a", map[string]any{"_attachments": map[string]any{
		"x.bin": map[string]any{"content_type": attType, "data": base64.StdEncoding.EncodeToString(data)},
	}})
	db.checkAtt("/a/x.bin", data)
	s := stub(t, db.get("/a"), "x.bin")
	if s["stub"] != true || s["digest"] != md5Digest(data) || num(s["length"]) != len(data) {
		t.Errorf("stub = %v", s)
	}
	inline := stub(t, db.get("/a?attachments=true"), "x.bin")
	got, err := base64.StdEncoding.DecodeString(inline["data"].(string))
	if err != nil || !bytes.Equal(got, data) || inline["stub"] != nil {
		t.Errorf("attachments=true entry = %v (%v)", inline, err)
	}
}
