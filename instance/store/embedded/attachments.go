package embedded

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"

	"github.com/go-kivik/kivik/v4/driver"
)

func errMissingAtt() error { return errNotFound("Document is missing attachment") }

// PutAttachment adds or replaces an attachment, making a new revision.
func (d *db) PutAttachment(ctx context.Context, docID string, att *driver.Attachment, options driver.Options) (string, error) {
	if err := validDocID(docID); err != nil {
		return "", err
	}
	data, err := io.ReadAll(att.Content)
	_ = att.Content.Close() // read in full; nothing more to learn from closing
	if err != nil {
		return "", fmt.Errorf("embedded: read attachment: %w", err)
	}
	rev := getParams(options).str("rev")
	var newRev string
	err = d.use(func(h *handle) error {
		return h.submit(ctx, func(w *wtx) error {
			var err error
			newRev, err = w.editAtts(docID, rev, func(gen int, atts attMetas) error {
				digest, err := w.putBlob(data)
				if err != nil {
					return err
				}
				ct := att.ContentType
				if ct == "" {
					ct = "application/octet-stream"
				}
				atts[att.Filename] = attMeta{ContentType: ct, RevPos: gen, Digest: digest, Length: int64(len(data))}
				return nil
			})
			return err
		})
	})
	return newRev, err
}

// DeleteAttachment removes an attachment, making a new revision.
func (d *db) DeleteAttachment(ctx context.Context, docID, filename string, options driver.Options) (string, error) {
	rev := getParams(options).str("rev")
	var newRev string
	err := d.use(func(h *handle) error {
		return h.submit(ctx, func(w *wtx) error {
			if rev == "" {
				return errConflict()
			}
			var err error
			newRev, err = w.editAtts(docID, rev, func(_ int, atts attMetas) error {
				if _, ok := atts[filename]; !ok {
					return errMissingAtt()
				}
				delete(atts, filename)
				return nil
			})
			return err
		})
	})
	return newRev, err
}

// editAtts makes a new revision of doc id from rev, with the parent's body and its
// attachments as edit changed them (edit gets the new generation).
func (w *wtx) editAtts(id, rev string, edit func(gen int, atts attMetas) error) (string, error) {
	cur, err := w.loadDoc(id)
	if err != nil {
		return "", err
	}
	parent, tree, err := editParent(cur, rev)
	if err != nil {
		return "", err
	}
	body, atts := []byte("{}"), attMetas{}
	if parent != "" {
		row, err := w.loadRev(id, parent)
		if err != nil {
			return "", err
		}
		if row != nil && !row.Deleted {
			body, atts = row.Body, maps.Clone(row.Atts)
			if atts == nil {
				atts = attMetas{}
			}
		}
	}
	if err := edit(revGen(parent)+1, atts); err != nil {
		return "", err
	}
	return w.addRevision(tree, &revision{ID: id, Parent: parent, Body: body, Atts: atts})
}

// attachment finds an attachment of rev (or of the winner) of doc id.
func attachment(ctx context.Context, rs *stmts, docID, filename string, p params) (*attMeta, error) {
	doc, err := loadDoc(ctx, rs.selDoc, docID)
	if err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, errNotFound("missing")
	}
	rev, err := pickRev(doc, p.str("rev"), false)
	if err != nil {
		return nil, err
	}
	row, err := loadRev(ctx, rs.selRev, docID, rev)
	if err != nil {
		return nil, err
	}
	if row == nil {
		return nil, errNotFound("missing")
	}
	m, ok := row.Atts[filename]
	if !ok {
		return nil, errMissingAtt()
	}
	return &m, nil
}

func (d *db) GetAttachment(ctx context.Context, docID, filename string, options driver.Options) (*driver.Attachment, error) {
	var att *driver.Attachment
	err := d.use(func(h *handle) error {
		return h.snapshot(ctx, func(rs *stmts) error {
			m, err := attachment(ctx, rs, docID, filename, getParams(options))
			if err != nil {
				return err
			}
			var data []byte
			if err := rs.selBlob.QueryRowContext(ctx, m.Digest).Scan(&data); err != nil {
				return fmt.Errorf("embedded: read attachment: %w", err)
			}
			att = attachmentOf(filename, m, data)
			return nil
		})
	})
	return att, err
}

func (d *db) GetAttachmentMeta(ctx context.Context, docID, filename string, options driver.Options) (*driver.Attachment, error) {
	var att *driver.Attachment
	err := d.use(func(h *handle) error {
		m, err := attachment(ctx, h.rs, docID, filename, getParams(options))
		if err == nil {
			att = attachmentOf(filename, m, nil)
		}
		return err
	})
	return att, err
}

func attachmentOf(name string, m *attMeta, data []byte) *driver.Attachment {
	return &driver.Attachment{
		Filename: name, ContentType: m.ContentType, Size: m.Length, Digest: m.Digest,
		RevPos: int64(m.RevPos), Content: io.NopCloser(bytes.NewReader(data)),
	}
}
