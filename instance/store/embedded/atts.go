package embedded

import (
	"crypto/md5" //nolint:gosec // CouchDB's attachment digests are md5
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// attMeta describes an attachment of a revision; its bytes live in blobs under Digest.
type attMeta struct {
	ContentType string `json:"content_type"`
	RevPos      int    `json:"revpos"`
	Digest      string `json:"digest"`
	Length      int64  `json:"length"`
}

// attMetas maps attachment names to their metadata.
type attMetas map[string]attMeta

func decodeAttMetas(data []byte) (attMetas, error) {
	if len(data) == 0 {
		return nil, nil
	}
	var m attMetas
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadStoredDoc, err)
	}
	return m, nil
}

func (m attMetas) encode() []byte {
	if len(m) == 0 {
		return nil
	}
	data, _ := json.Marshal(m) // cannot fail: strings and numbers
	return data
}

func digestOf(data []byte) string {
	sum := md5.Sum(data) //nolint:gosec // CouchDB's attachment digests are md5
	return "md5-" + base64.StdEncoding.EncodeToString(sum[:])
}

func errMissingStub(id, name string) error {
	return newError(http.StatusPreconditionFailed, "missing_stub",
		"Invalid attachment stub in "+id+" for "+name)
}

// putBlob stores data under its digest (once) and returns the digest.
func (w *wtx) putBlob(data []byte) (string, error) {
	d := digestOf(data)
	if _, err := w.st.insBlob.ExecContext(w.ctx, d, data); err != nil {
		return "", fmt.Errorf("embedded: store attachment: %w", err)
	}
	return d, nil
}

func (w *wtx) hasBlob(digest string) (int64, bool, error) {
	var n int64
	err := w.st.hasBlob.QueryRowContext(w.ctx, digest).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return n, err == nil, err
}

// newAtts computes the attachments of a new revision at generation gen from what the caller
// sent and the parent revision's attachments. With replicated (new_edits=false) writes, stubs
// may also name an attachment by its digest.
func (w *wtx) newAtts(id string, in map[string]incomingAtt, parent attMetas, gen int, replicated bool) (attMetas, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(attMetas, len(in))
	for name, a := range in {
		m, err := w.newAtt(id, name, a, parent, gen, replicated)
		if err != nil {
			return nil, err
		}
		out[name] = m
	}
	return out, nil
}

func (w *wtx) newAtt(id, name string, a incomingAtt, parent attMetas, gen int, replicated bool) (attMeta, error) {
	switch {
	case a.Follows:
		return attMeta{}, errBadRequest("Attachments sent as multipart are not supported")
	case a.Stub:
		if p, ok := parent[name]; ok && (a.Digest == "" || a.Digest == p.Digest) {
			return p, nil
		}
		if !replicated || a.Digest == "" {
			return attMeta{}, errMissingStub(id, name)
		}
		n, ok, err := w.hasBlob(a.Digest)
		if err != nil || !ok {
			return attMeta{}, errors.Join(err, errMissingStub(id, name))
		}
		return attMeta{ContentType: a.ContentType, RevPos: a.RevPos, Digest: a.Digest, Length: n}, nil
	}
	d, err := w.putBlob(a.Data)
	if err != nil {
		return attMeta{}, err
	}
	m := attMeta{ContentType: a.ContentType, RevPos: gen, Digest: d, Length: int64(len(a.Data))}
	if m.ContentType == "" {
		m.ContentType = "application/octet-stream"
	}
	if replicated && a.RevPos > 0 {
		m.RevPos = a.RevPos
	}
	return m, nil
}
