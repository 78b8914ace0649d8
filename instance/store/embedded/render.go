package embedded

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// getOpts are the Get options that shape a rendered document.
type getOpts struct {
	revs, revsInfo, conflicts, deletedConflicts, attachments, localSeq bool
	attsSince                                                          []string // revs the caller has
}

func parseGetOpts(p params) getOpts {
	meta := p.bool("meta")
	return getOpts{
		revs:             p.bool("revs"),
		revsInfo:         p.bool("revs_info") || meta,
		conflicts:        p.bool("conflicts") || meta,
		deletedConflicts: p.bool("deleted_conflicts") || meta,
		attachments:      p.bool("attachments"),
		attsSince:        attsSince(p),
		localSeq:         p.bool("local_seq"),
	}
}

// needsTree tells whether rendering with o reads the revision tree.
func (o getOpts) needsTree() bool {
	return o.revs || o.revsInfo || o.conflicts || o.deletedConflicts || len(o.attsSince) > 0
}

// renderer turns stored revisions into CouchDB's JSON documents.
type renderer struct {
	ctx   context.Context
	blobs stmt // SELECT data FROM blobs WHERE digest = ?
}

func writeMember(b *bytes.Buffer, key string, v any) {
	k, _ := json.Marshal(key)
	val, _ := json.Marshal(v) // only plain values are rendered
	b.WriteByte(',')
	b.Write(k)
	b.WriteByte(':')
	b.Write(val)
}

// render builds the JSON of revision rev of doc id.
func (r renderer) render(id, rev string, row *revRow, doc *docRow, o getOpts) ([]byte, error) {
	var b bytes.Buffer
	idJSON, _ := json.Marshal(id)
	fmt.Fprintf(&b, `{"_id":%s,"_rev":%q`, idJSON, rev)
	if row.Deleted {
		b.WriteString(`,"_deleted":true`)
	}
	if inner := bytes.TrimSpace(row.Body); len(inner) > 2 {
		b.WriteByte(',')
		b.Write(inner[1 : len(inner)-1])
	}
	if len(row.Atts) > 0 {
		knownGen := 0 // with atts_since, attachments the caller has get no data
		if o.attachments && doc != nil && doc.Tree != nil {
			knownGen = knownGeneration(doc.Tree, rev, o.attsSince)
		}
		atts, err := r.attachments(row.Atts, o.attachments, knownGen)
		if err != nil {
			return nil, err
		}
		b.WriteString(`,"_attachments":`)
		b.Write(atts)
	}
	r.extras(&b, rev, doc, o)
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (r renderer) extras(b *bytes.Buffer, rev string, doc *docRow, o getOpts) {
	if doc == nil {
		return
	}
	if rev == doc.Rev && o.conflicts {
		if c := doc.Tree.conflicts(false); len(c) > 0 {
			writeMember(b, "_conflicts", c)
		}
	}
	if rev == doc.Rev && o.deletedConflicts {
		if c := doc.Tree.conflicts(true); len(c) > 0 {
			writeMember(b, "_deleted_conflicts", c)
		}
	}
	if o.localSeq {
		writeMember(b, "_local_seq", doc.Seq)
	}
	if o.revs {
		writeMember(b, "_revisions", revisionsOf(doc.Tree, rev))
	}
	if o.revsInfo {
		writeMember(b, "_revs_info", revsInfoOf(doc.Tree, rev))
	}
}

func revisionsOf(t revTree, rev string) revisions {
	hist := t.history(rev)
	ids := make([]string, len(hist))
	for i, h := range hist {
		_, ids[i], _ = parseRev(h)
	}
	return revisions{Start: revGen(rev), IDs: ids}
}

type revInfo struct {
	Rev    string `json:"rev"`
	Status string `json:"status"`
}

func revsInfoOf(t revTree, rev string) []revInfo {
	var out []revInfo
	for i, h := range t.history(rev) {
		status := "missing"
		switch {
		case t[h].Deleted:
			status = "deleted"
		case i == 0 || t.isLeaf(h):
			status = "available"
		}
		out = append(out, revInfo{Rev: h, Status: status})
	}
	return out
}

type attJSON struct {
	ContentType string `json:"content_type"`
	RevPos      int    `json:"revpos"`
	Digest      string `json:"digest"`
	Length      int64  `json:"length"`
	Stub        bool   `json:"stub,omitempty"`
	Data        string `json:"data,omitempty"`
}

func (r renderer) attachments(atts attMetas, withData bool, knownGen int) ([]byte, error) {
	names := make([]string, 0, len(atts))
	for n := range atts {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, n := range names {
		m := atts[n]
		data := withData && m.RevPos > knownGen
		a := attJSON{ContentType: m.ContentType, RevPos: m.RevPos, Digest: m.Digest, Length: m.Length, Stub: !data}
		if data {
			var data []byte
			if err := r.blobs.QueryRowContext(r.ctx, m.Digest).Scan(&data); err != nil {
				return nil, fmt.Errorf("embedded: read attachment %s: %w", n, err)
			}
			a.Data = base64.StdEncoding.EncodeToString(data)
		}
		k, _ := json.Marshal(n)
		v, _ := json.Marshal(a)
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func isLocal(id string) bool { return strings.HasPrefix(id, "_local/") }

// attsSince reads the atts_since option: a JSON array of revs, or a list.
func attsSince(p params) []string {
	revs, _, err := p.strings("atts_since")
	if err != nil {
		return nil
	}
	return revs
}

// knownGeneration is the highest generation among since that is an ancestor of rev (or rev
// itself): the caller has every attachment added up to it.
func knownGeneration(t revTree, rev string, since []string) int {
	if len(since) == 0 {
		return 0
	}
	known := 0
	hist := t.history(rev)
	for _, s := range since {
		for _, h := range hist {
			if h == s {
				known = max(known, revGen(s))
			}
		}
	}
	return known
}
