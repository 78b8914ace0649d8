package mangoindex

import "github.com/go-kivik/kivik/v4/driver"

// ListEntry returns the index as GET /{db}/_index lists it and _explain
// shows it: {"ddoc", "name", "type": "json", "partitioned": false, "def"}.
func (ix Index) ListEntry() map[string]any {
	return map[string]any{
		"ddoc":        ix.DDoc,
		"name":        ix.Name,
		"type":        "json",
		"partitioned": false,
		"def":         ix.Definition(),
	}
}

// AllDocsEntry returns the entry of CouchDB's special _all_docs index, which
// GET /{db}/_index lists first.
func AllDocsEntry() map[string]any {
	return map[string]any{
		"ddoc":        nil,
		"name":        "_all_docs",
		"type":        "special",
		"partitioned": false,
		"def":         map[string]any{"fields": []any{map[string]any{"_id": "asc"}}},
	}
}

// DriverIndexes returns what kivik's GetIndexes expects: the special
// _all_docs index first, then indexes.
func DriverIndexes(indexes []Index) []driver.Index {
	out := []driver.Index{{
		Name:       "_all_docs",
		Type:       "special",
		Definition: map[string]any{"fields": []any{map[string]any{"_id": "asc"}}},
	}}
	for _, ix := range indexes {
		out = append(out, driver.Index{DesignDoc: ix.DDoc, Name: ix.Name, Type: "json", Definition: ix.Definition()})
	}
	return out
}

// Explain renders the body of POST /{db}/_explain for q run with plan p, in
// CouchDB's shape.
func (q *Query) Explain(dbName string, p *Plan) map[string]any {
	out := map[string]any{
		"dbname":      dbName,
		"partitioned": false,
		"selector":    q.sel.toJSON(),
		"opts":        q.optsJSON(),
		"limit":       q.limit,
		"skip":        q.skip,
		"fields":      q.fieldsJSON(),
		"mrargs":      q.mrargs(p),
	}
	if p.Index == nil {
		out["index"] = AllDocsEntry()
	} else {
		out["index"] = p.Index.ListEntry()
		out["covering"] = false
	}
	return out
}

func (q *Query) fieldsJSON() []string {
	if q.Fields == nil {
		return []string{}
	}
	return q.Fields
}

func (q *Query) optsJSON() map[string]any {
	use := q.UseIndex
	if use == nil {
		use = []string{}
	}
	bookmark := q.Bookmark
	if bookmark == "" {
		bookmark = "nil"
	}
	sortOpt := map[string]any{}
	for _, f := range q.Sort {
		sortOpt[f.Name] = f.direction()
	}
	return map[string]any{
		"use_index":       use,
		"bookmark":        bookmark,
		"limit":           q.limit,
		"skip":            q.skip,
		"sort":            sortOpt,
		"fields":          q.fieldsJSON(),
		"partition":       q.Partition,
		"r":               q.R,
		"conflicts":       q.Conflicts,
		"stale":           q.Stale == "ok",
		"update":          q.Update,
		"stable":          q.Stable,
		"execution_stats": q.ExecutionStats,
		"allow_fallback":  q.AllowFallback,
	}
}

func (q *Query) mrargs(p *Plan) map[string]any {
	start, end := p.startKey, p.endKey
	if p.Empty {
		start, end = nil, nil
	}
	direction := "fwd"
	if p.Descending {
		direction = "rev"
		start, end = end, start
	}
	var conflicts any = "undefined"
	if q.Conflicts {
		conflicts = true
	}
	return map[string]any{
		"include_docs": true,
		"view_type":    "map",
		"reduce":       false,
		"partition":    nil,
		"start_key":    start,
		"end_key":      end,
		"direction":    direction,
		"stable":       q.Stable || q.Stale == "ok",
		"update":       q.Update && q.Stale != "ok",
		"conflicts":    conflicts,
	}
}

// QueryPlan returns the explanation as kivik's driver.QueryPlan, for the
// driver's Explain method; kivik has no "mrargs" member, so the scan range
// goes in Range.
func (q *Query) QueryPlan(dbName string, p *Plan) *driver.QueryPlan {
	e := q.Explain(dbName, p)
	sel, _ := e["selector"].(map[string]any)
	fields := make([]any, len(q.Fields))
	for i, f := range q.Fields {
		fields[i] = f
	}
	return &driver.QueryPlan{
		DBName:    dbName,
		Index:     e["index"].(map[string]any),
		Selector:  sel,
		Options:   e["opts"].(map[string]any),
		Limit:     int64(q.limit),
		Partition: q.Partition,
		Skip:      int64(q.skip),
		Fields:    fields,
		Range:     e["mrargs"].(map[string]any),
	}
}
