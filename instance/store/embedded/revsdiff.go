package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"

	"github.com/go-kivik/kivik/v4/driver"
)

// RevsDiff answers which of the given revisions are missing, one row per document with any:
// ID is the document id and Value the JSON of a driver.RevDiff.
func (d *db) RevsDiff(ctx context.Context, revMap any) (driver.Rows, error) {
	data, err := toJSON(revMap)
	if err != nil {
		return nil, err
	}
	var req map[string][]string
	if err := json.Unmarshal(data, &req); err != nil {
		return nil, errBadRequest("Invalid revs_diff request: " + err.Error())
	}
	ids := make([]string, 0, len(req))
	for id := range req {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := &sliceRows{}
	err = d.use(func(h *handle) error {
		for _, id := range ids {
			doc, err := loadDoc(ctx, h.rs.selDoc, id)
			if err != nil {
				return err
			}
			if diff := revsDiff(doc, req[id]); diff != nil {
				v, _ := json.Marshal(diff) // plain strings
				out.rows = append(out.rows, driver.Row{ID: id, Value: bytes.NewReader(v)})
			}
		}
		return nil
	})
	return out, err
}

func revsDiff(doc *docRow, revs []string) *driver.RevDiff {
	var diff driver.RevDiff
	maxGen := 0
	for _, rev := range revs {
		if doc != nil {
			if _, ok := doc.Tree[rev]; ok {
				continue
			}
		}
		diff.Missing = append(diff.Missing, rev)
		maxGen = max(maxGen, revGen(rev))
	}
	if len(diff.Missing) == 0 {
		return nil
	}
	if doc != nil {
		for _, l := range doc.Tree.leaves() {
			if revGen(l.Rev) < maxGen {
				diff.PossibleAncestors = append(diff.PossibleAncestors, l.Rev)
			}
		}
	}
	return &diff
}
