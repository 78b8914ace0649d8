package embedded

import (
	"crypto/md5" //nolint:gosec // CouchDB rev ids are md5-shaped; not a security use
	"fmt"
	"strconv"
)

// revision is a new leaf to store.
type revision struct {
	ID      string
	Parent  string // empty for a first revision
	Deleted bool
	Body    []byte
	Atts    attMetas
}

// newRevID derives a deterministic rev id from the parent and the content.
func newRevID(r *revision) string {
	h := md5.New() //nolint:gosec // see import
	fmt.Fprintf(h, "%s\x00%t\x00", r.Parent, r.Deleted)
	h.Write(r.Body)
	h.Write(r.Atts.encode())
	return strconv.Itoa(revGen(r.Parent)+1) + "-" + fmt.Sprintf("%x", h.Sum(nil))
}

func (w *wtx) loadDoc(id string) (*docRow, error) { return loadDoc(w.ctx, w.st.selDoc, id) }

func (w *wtx) loadRev(id, rev string) (*revRow, error) {
	return loadRev(w.ctx, w.st.selRev, id, rev)
}

// parentAtts returns the attachments of a stored leaf revision, if any.
func (w *wtx) parentAtts(id, rev string) (attMetas, error) {
	if rev == "" {
		return nil, nil
	}
	r, err := w.loadRev(id, rev)
	if err != nil || r == nil {
		return nil, err
	}
	return r.Atts, nil
}

// saveTree stores the tree of doc id at a new sequence, dropping the bodies of the revisions
// stemmed away.
func (w *wtx) saveTree(id string, tree revTree) error {
	for _, rev := range tree.stem(revsLimit) {
		if err := w.dropRev(id, rev); err != nil {
			return err
		}
	}
	leaves := tree.leaves()
	win := leaves[0]
	w.h.seq++
	_, err := w.st.upsertDoc.ExecContext(w.ctx, id, w.h.seq, win.Deleted, win.Rev, tree.encode())
	if err != nil {
		return fmt.Errorf("embedded: write %s: %w", id, err)
	}
	w.events = append(w.events, newChangeEvent(w.h.seq, id, leaves))
	return w.reindex(id, tree)
}

func (w *wtx) storeRev(id, rev string, deleted bool, body []byte, atts attMetas) error {
	if _, err := w.st.insRev.ExecContext(w.ctx, id, rev, deleted, body, atts.encode()); err != nil {
		return fmt.Errorf("embedded: write %s: %w", id, err)
	}
	return nil
}

func (w *wtx) dropRev(id, rev string) error {
	if _, err := w.st.delRev.ExecContext(w.ctx, id, rev); err != nil {
		return fmt.Errorf("embedded: write %s: %w", id, err)
	}
	return nil
}

// addRevision stores r as a new child of r.Parent in tree and returns its rev id.
func (w *wtx) addRevision(tree revTree, r *revision) (string, error) {
	rev := newRevID(r)
	if _, ok := tree[rev]; ok {
		return "", errConflict()
	}
	tree[rev] = &revNode{Rev: rev, Parent: r.Parent, Deleted: r.Deleted}
	// The parent's body stays, as CouchDB keeps it until compaction: GET ?rev= of it works.
	if err := w.storeRev(r.ID, rev, r.Deleted, r.Body, r.Atts); err != nil {
		return "", err
	}
	return rev, w.saveTree(r.ID, tree)
}

// editParent checks that rev may be edited in doc and returns the parent of the new
// revision and the tree to add it to.
func editParent(cur *docRow, rev string) (string, revTree, error) {
	if rev != "" {
		if _, _, ok := parseRev(rev); !ok {
			return "", nil, errBadRequest("Invalid rev format")
		}
	}
	if cur == nil {
		if rev != "" {
			return "", nil, errConflict()
		}
		return "", revTree{}, nil
	}
	if rev == "" {
		if !cur.Deleted {
			return "", nil, errConflict()
		}
		return cur.Rev, cur.Tree, nil
	}
	if !cur.Tree.isLeaf(rev) {
		return "", nil, errConflict()
	}
	return rev, cur.Tree, nil
}

// putDoc writes in as a new revision of doc id (new_edits=true) and returns the new rev.
func (w *wtx) putDoc(id string, in *incomingDoc) (string, error) {
	cur, err := w.loadDoc(id)
	if err != nil {
		return "", err
	}
	parent, tree, err := editParent(cur, in.Rev)
	if err != nil {
		return "", err
	}
	patts, err := w.parentAtts(id, parent)
	if err != nil {
		return "", err
	}
	atts, err := w.newAtts(id, in.Atts, patts, revGen(parent)+1, false)
	if err != nil {
		return "", err
	}
	return w.addRevision(tree, &revision{ID: id, Parent: parent, Deleted: in.Deleted, Body: in.Body, Atts: atts})
}

// replicateDoc merges in, which carries its own rev and history (new_edits=false).
func (w *wtx) replicateDoc(id string, in *incomingDoc) error {
	path, err := replicatedPath(in)
	if err != nil {
		return err
	}
	cur, err := w.loadDoc(id)
	if err != nil {
		return err
	}
	tree := revTree{}
	if cur != nil {
		tree = cur.Tree
	}
	before := map[string]bool{}
	for _, l := range tree.leaves() {
		before[l.Rev] = true
	}
	if !tree.merge(path, in.Deleted) {
		return nil
	}
	var patts attMetas
	var stale []string // leaves that the merge made inner revisions
	for _, rev := range path[1:] {
		if before[rev] {
			stale = append(stale, rev)
		}
	}
	if len(stale) > 0 {
		if patts, err = w.parentAtts(id, stale[0]); err != nil {
			return err
		}
	}
	atts, err := w.newAtts(id, in.Atts, patts, revGen(in.Rev), true)
	if err != nil {
		return err
	}
	if tree.isLeaf(in.Rev) {
		if err := w.storeRev(id, in.Rev, in.Deleted, in.Body, atts); err != nil {
			return err
		}
	}
	return w.saveTree(id, tree)
}

func replicatedPath(in *incomingDoc) ([]string, error) {
	if _, _, ok := parseRev(in.Rev); !ok {
		return nil, errBadRequest("Invalid rev format")
	}
	if in.Revisions == nil || len(in.Revisions.IDs) == 0 {
		return []string{in.Rev}, nil
	}
	path := revisionsPath(in.Revisions.Start, in.Revisions.IDs)
	if len(path) == 0 || path[0] != in.Rev {
		return nil, errBadRequest("_rev does not match _revisions")
	}
	return path, nil
}
