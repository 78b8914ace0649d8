package embedded

import (
	"context"
	"encoding/json"

	"github.com/hearth-cloud/hearth/instance/store/mangoindex"
)

// setSelector reads the selector of filter=_selector, given as JSON text or as a decoded value.
func (f *changesFeed) setSelector(v any) error {
	var sel []byte
	switch t := v.(type) {
	case nil:
		return errBadRequest("Selector must be specified in POST payload")
	case string:
		sel = []byte(t)
	case []byte:
		sel = t
	case json.RawMessage:
		sel = t
	default:
		var err error
		if sel, err = json.Marshal(t); err != nil {
			return errBadRequest("Invalid selector")
		}
	}
	q, err := mangoindex.ParseQuery(append(append([]byte(`{"selector":`), sel...), '}'))
	if err != nil {
		return fromMango(err)
	}
	f.selector = q
	return nil
}

// selected tells whether the winning revision of doc passes the _selector filter.
func (f *changesFeed) selected(ctx context.Context, h *handle, id string, doc *docRow) (bool, error) {
	if f.selector == nil {
		return true, nil
	}
	row, err := loadRev(ctx, h.rs.selRev, id, doc.Rev)
	if err != nil || row == nil {
		return false, err
	}
	m, err := decodeDoc(h.renderer(ctx), id, doc.Rev, row)
	if err != nil {
		return false, err
	}
	return f.selector.Match(m), nil
}
