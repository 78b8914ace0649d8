package datasys

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	kivik "github.com/go-kivik/kivik/v4"
	"github.com/go-kivik/kivik/v4/x/mango"
)

var changesParams = []string{
	"since", "limit", "descending", "include_docs", "conflicts", "style", "timeout",
	"attachments", "att_encoding_info", "doc_ids",
}

// feedRequest is a parsed _changes request.
type feedRequest struct {
	opts      map[string]any // passed to the backend
	feed      string         // normal, longpoll, continuous
	limit     int            // 0: none
	heartbeat time.Duration  // 0: none
	selector  *mango.Selector
	docs      bool // the client asked for include_docs
}

func (q *request) parseFeed() (*feedRequest, error) {
	query := q.r.URL.Query()
	opts, err := paramMap(query, changesParams...)
	if err != nil {
		return nil, err
	}
	f := &feedRequest{opts: opts, feed: query.Get("feed"), docs: opts["include_docs"] == true}
	switch f.feed {
	case "", "normal":
		f.feed = "normal"
	case "longpoll", "continuous":
		opts["feed"] = f.feed
	default:
		return nil, badRequest("Supported feeds are normal, longpoll and continuous.")
	}
	if hb := query.Get("heartbeat"); hb != "" {
		ms := 60000
		if hb != "true" {
			if ms, err = strconv.Atoi(hb); err != nil || ms <= 0 {
				return nil, badRequest("heartbeat must be a positive number of milliseconds or true")
			}
		}
		f.heartbeat = time.Duration(max(ms, 100)) * time.Millisecond
		opts["heartbeat"] = ms
	} else if _, ok := opts["timeout"]; !ok && f.feed != "normal" {
		opts["timeout"] = 60000
	}
	if n, ok := opts["limit"].(int); ok {
		f.limit = n
	}
	if err := q.readFeedFilter(f); err != nil {
		return nil, err
	}
	return f, nil
}

// readFeedFilter applies filter=_doc_ids or filter=_selector, from the query or a POST body.
func (q *request) readFeedFilter(f *feedRequest) error {
	var body struct {
		DocIDs   []string        `json:"doc_ids"`
		Selector json.RawMessage `json:"selector"`
	}
	if q.r.Method == http.MethodPost && q.r.ContentLength != 0 {
		if err := q.readJSON(maxBulkBody, &body); err != nil {
			return err
		}
	}
	switch filter := q.r.URL.Query().Get("filter"); filter {
	case "":
		return nil
	case "_doc_ids":
		if body.DocIDs != nil {
			f.opts["doc_ids"] = body.DocIDs
		}
		if _, ok := f.opts["doc_ids"].([]any); !ok && body.DocIDs == nil {
			return badRequest("filter=_doc_ids needs doc_ids: a JSON array in the query or the body")
		}
		f.opts["filter"] = "_doc_ids"
	case "_selector":
		if body.Selector == nil {
			body.Selector = json.RawMessage(q.r.URL.Query().Get("selector"))
		}
		var sel mango.Selector
		if err := checkSelectorJSON(body.Selector); err != nil {
			return err
		}
		if err := json.Unmarshal(body.Selector, &sel); err != nil {
			return errorf(http.StatusBadRequest, "invalid_selector", "Invalid selector: %s", err.Error())
		}
		f.selector = &sel
		f.opts["include_docs"] = true
		delete(f.opts, "limit") // the limit counts matching changes: applied here
	default:
		return badRequest("Only the filters _doc_ids and _selector are supported.")
	}
	return nil
}

func checkSelectorJSON(raw json.RawMessage) error {
	var v any
	if err := decodeJSON(raw, &v); err != nil {
		return errorf(http.StatusBadRequest, "invalid_selector", "filter=_selector needs a selector object")
	}
	return checkSelector(v)
}

// changeRow renders the current change, or nil when the filter leaves it out.
func (f *feedRequest) changeRow(ch *kivik.Changes) json.RawMessage {
	id := ch.ID()
	if strings.HasPrefix(id, "_design/") {
		return nil
	}
	row := map[string]any{"seq": seqValue(ch.Seq()), "id": id}
	revs := ch.Changes()
	list := make([]map[string]string, len(revs))
	for i, r := range revs {
		list[i] = map[string]string{"rev": r}
	}
	row["changes"] = list
	if ch.Deleted() {
		row["deleted"] = true
	}
	if f.selector != nil || f.docs {
		var doc json.RawMessage
		if err := ch.ScanDoc(&doc); err == nil && len(doc) > 0 {
			if f.selector != nil && !f.matches(doc) {
				return nil
			}
			if f.docs {
				row["doc"] = doc
			}
		} else if f.selector != nil {
			return nil
		}
	}
	return mustJSON(row)
}

func (f *feedRequest) matches(doc json.RawMessage) bool {
	var v map[string]any
	if err := json.Unmarshal(doc, &v); err != nil {
		return false
	}
	return f.selector.Match(v)
}
