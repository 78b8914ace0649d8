package embedded

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"

	"github.com/go-kivik/kivik/v4/driver"
)

// db is a handle on one database; the SQLite files are opened on use.
type db struct {
	c    *client
	name string
}

var (
	_ driver.DB                   = (*db)(nil)
	_ driver.DocCreator           = (*db)(nil)
	_ driver.BulkDocer            = (*db)(nil)
	_ driver.RevGetter            = (*db)(nil)
	_ driver.OpenRever            = (*db)(nil)
	_ driver.BulkGetter           = (*db)(nil)
	_ driver.RevsDiffer           = (*db)(nil)
	_ driver.LocalDocer           = (*db)(nil)
	_ driver.Flusher              = (*db)(nil)
	_ driver.Finder               = (*db)(nil)
	_ driver.AttachmentMetaGetter = (*db)(nil)
)

// use runs fn with the database's open handle.
func (d *db) use(fn func(h *handle) error) error {
	h, err := d.c.acquire(d.name)
	if err != nil {
		return err
	}
	defer d.c.release(h)
	return fn(h)
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b[:])
}

func validDocID(id string) error {
	if id == "" {
		return errBadRequest("Document id must not be empty")
	}
	if id[0] == '_' && !strings.HasPrefix(id, "_design/") && !isLocal(id) {
		return errBadRequest("Only reserved document ids may start with underscore.")
	}
	return nil
}

// takeRev reconciles the rev given as an option with the one in the document.
func takeRev(in *incomingDoc, p params) error {
	rev := p.str("rev")
	if rev == "" {
		return nil
	}
	if in.Rev != "" && in.Rev != rev {
		return errBadRequest("Document rev from request body and query string have different values")
	}
	in.Rev = rev
	return nil
}

func (d *db) Put(ctx context.Context, docID string, doc any, options driver.Options) (string, error) {
	if err := validDocID(docID); err != nil {
		return "", err
	}
	in, err := parseDoc(doc)
	if err != nil {
		return "", err
	}
	p := getParams(options)
	if err := takeRev(in, p); err != nil {
		return "", err
	}
	var rev string
	err = d.use(func(h *handle) error {
		return h.submit(ctx, func(w *wtx) error {
			var err error
			rev, err = w.writeDoc(docID, in, !p.has("new_edits") || p.bool("new_edits"))
			return err
		})
	})
	return rev, err
}

// writeDoc writes one document, local or not, with or without new edits.
func (w *wtx) writeDoc(id string, in *incomingDoc, newEdits bool) (string, error) {
	switch {
	case isLocal(id):
		return w.putLocal(id, in)
	case newEdits:
		return w.putDoc(id, in)
	default:
		return in.Rev, w.replicateDoc(id, in)
	}
}

func (d *db) CreateDoc(ctx context.Context, doc any, options driver.Options) (string, string, error) {
	in, err := parseDoc(doc)
	if err != nil {
		return "", "", err
	}
	id := in.ID
	if id == "" {
		id = newUUID()
	}
	rev, err := d.Put(ctx, id, doc, options)
	return id, rev, err
}

func (d *db) Delete(ctx context.Context, docID string, options driver.Options) (string, error) {
	if err := validDocID(docID); err != nil {
		return "", err
	}
	rev := getParams(options).str("rev")
	var newRev string
	err := d.use(func(h *handle) error {
		return h.submit(ctx, func(w *wtx) error {
			var err error
			newRev, err = w.deleteDoc(docID, rev)
			return err
		})
	})
	return newRev, err
}

func (w *wtx) deleteDoc(id, rev string) (string, error) {
	if isLocal(id) {
		return w.deleteLocal(id, rev)
	}
	cur, err := w.loadDoc(id)
	if err != nil {
		return "", err
	}
	if cur == nil {
		return "", errNotFound("missing")
	}
	if rev == "" {
		return "", errConflict()
	}
	parent, tree, err := editParent(cur, rev)
	if err != nil {
		return "", err
	}
	return w.addRevision(tree, &revision{ID: id, Parent: parent, Deleted: true, Body: []byte("{}")})
}

func (d *db) BulkDocs(ctx context.Context, docs []any, options driver.Options) ([]driver.BulkResult, error) {
	p := getParams(options)
	newEdits := !p.has("new_edits") || p.bool("new_edits")
	results := make([]driver.BulkResult, len(docs))
	ins := make([]*incomingDoc, len(docs))
	for i, doc := range docs {
		in, err := parseDoc(doc)
		if err == nil && in.ID == "" {
			in.ID = newUUID()
		}
		if err == nil {
			err = validDocID(in.ID)
		}
		ins[i], results[i].Error = in, err
		if in != nil {
			results[i].ID = in.ID
		}
	}
	err := d.use(func(h *handle) error {
		return h.submit(ctx, func(w *wtx) error {
			return w.bulk(ins, results, newEdits)
		})
	})
	if err != nil {
		return nil, err
	}
	if !newEdits {
		return failedOnly(results), nil
	}
	return results, nil
}

// bulk writes every valid document, recording each one's result.
func (w *wtx) bulk(ins []*incomingDoc, results []driver.BulkResult, newEdits bool) error {
	for i, in := range ins {
		if results[i].Error != nil {
			continue
		}
		rev, err := w.writeDoc(in.ID, in, newEdits)
		if e := (*Error)(nil); err != nil && !asError(err, &e) {
			return err
		}
		results[i].Rev, results[i].Error = rev, err
	}
	return nil
}

// failedOnly keeps the failed results, as CouchDB answers new_edits=false.
func failedOnly(results []driver.BulkResult) []driver.BulkResult {
	out := []driver.BulkResult{}
	for _, r := range results {
		if r.Error != nil {
			out = append(out, r)
		}
	}
	return out
}
