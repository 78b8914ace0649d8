package mangoindex_test

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/hearth-cloud/hearth/instance/store/mangoindex"
)

// Example shows what the embedded driver does with this package: store index
// rows, plan a _find, scan the planned range, re-check, page with bookmarks.
func Example() {
	ix, _ := mangoindex.ParseIndexRequest([]byte(`{"index":{"fields":["age"]},"ddoc":"people","name":"by-age"}`))
	docs := []map[string]any{
		{"_id": "ann", "age": 31.0}, {"_id": "bob", "age": 25.0},
		{"_id": "cat", "age": 40.0}, {"_id": "dan"}, // dan has no age: not in the index
	}
	type row struct {
		key []byte
		id  string
	}
	var rows []row // what the driver keeps in SQLite, ordered by (key, docid)
	for _, d := range docs {
		if key, ok := ix.Key(d); ok {
			rows = append(rows, row{key, d["_id"].(string)})
		}
	}
	sort.Slice(rows, func(i, j int) bool { return bytes.Compare(rows[i].key, rows[j].key) < 0 })

	q, _ := mangoindex.ParseQuery([]byte(`{"selector":{"age":{"$gte":30}},"fields":["_id"]}`))
	plan, _ := q.Plan([]mangoindex.Index{ix})
	fmt.Println("index:", plan.Index.Name, "warning:", plan.Warning == "")
	for _, r := range rows {
		inRange := (plan.Start == nil || bytes.Compare(r.key, plan.Start) >= 0) &&
			(plan.End == nil || bytes.Compare(r.key, plan.End) < 0)
		if doc := docs[indexOf(docs, r.id)]; inRange && q.Match(doc) {
			fmt.Println(q.Project(doc), mangoindex.Bookmark(r.key, r.id) != "")
		}
	}
	// Output:
	// index: by-age warning: true
	// map[_id:ann] true
	// map[_id:cat] true
}

func indexOf(docs []map[string]any, id string) int {
	for i, d := range docs {
		if d["_id"] == id {
			return i
		}
	}
	return -1
}
