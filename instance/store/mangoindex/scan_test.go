package mangoindex

import (
	"bytes"
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"
)

// row is an index row as the embedded driver stores it.
type row struct {
	key []byte
	id  string
}

// scan runs q the way the driver does: plan, range scan, resume after the
// bookmark, Match, skip, limit. It returns the ids and the next bookmark.
func scan(t *testing.T, q *Query, indexes []Index, docs []map[string]any) ([]string, string) {
	t.Helper()
	p, err := q.Plan(indexes)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	if p.Empty {
		return nil, ""
	}
	rows, byID := indexRows(p, docs)
	if p.Descending {
		slices.Reverse(rows)
	}
	var ids []string
	skip, bookmark := q.Skip(), ""
	for _, r := range rows {
		if !inRange(p, r.key) || !afterBookmark(p, r) || !q.Match(byID[r.id]) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if len(ids) == q.Limit() {
			break
		}
		ids = append(ids, r.id)
		bookmark = Bookmark(r.key, r.id)
	}
	return ids, bookmark
}

func indexRows(p *Plan, docs []map[string]any) ([]row, map[string]map[string]any) {
	byID := map[string]map[string]any{}
	var rows []row
	for _, d := range docs {
		id := d["_id"].(string)
		byID[id] = d
		if p.Index == nil {
			if !strings.HasPrefix(id, "_design/") {
				rows = append(rows, row{[]byte(id), id})
			}
		} else if k, ok := p.Index.Key(d); ok {
			rows = append(rows, row{k, id})
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rowLess(rows[i], rows[j]) })
	return rows, byID
}

func rowLess(a, b row) bool {
	if c := bytes.Compare(a.key, b.key); c != 0 {
		return c < 0
	}
	return a.id < b.id
}

func inRange(p *Plan, key []byte) bool {
	if p.Start != nil {
		if c := bytes.Compare(key, p.Start); c < 0 || (c == 0 && !p.StartInclusive) {
			return false
		}
	}
	if p.End != nil {
		if c := bytes.Compare(key, p.End); c > 0 || (c == 0 && !p.EndInclusive) {
			return false
		}
	}
	return true
}

func afterBookmark(p *Plan, r row) bool {
	if p.After == nil {
		return true
	}
	last := row{p.After, p.AfterID}
	if p.Descending {
		return rowLess(r, last)
	}
	return rowLess(last, r)
}

var pool = []string{`null`, `true`, `-1`, `0`, `0.5`, `1`, `2`, `"a"`, `"B"`, `"b"`, `[1]`, `{}`}

func randomDocs(r *rand.Rand, n int) []map[string]any {
	docs := make([]map[string]any, n)
	for i := range docs {
		var sb strings.Builder
		fmt.Fprintf(&sb, `{"_id":"d%03d"`, i)
		for _, f := range []string{"a", "b"} {
			if r.Intn(5) > 0 {
				fmt.Fprintf(&sb, `,%q:%s`, f, pool[r.Intn(len(pool))])
			}
		}
		sb.WriteString("}")
		docs[i] = mustDecode(sb.String())
	}
	docs = append(docs, mustDecode(`{"_id":"_design/x","a":1,"b":1}`))
	return docs
}

func randomSelector(r *rand.Rand) string {
	ops := []string{"$eq", "$gt", "$gte", "$lt", "$lte", "$ne", "$exists"}
	var conds []string
	for range 1 + r.Intn(3) {
		f := []string{"a", "b", "_id"}[r.Intn(3)]
		op := ops[r.Intn(len(ops))]
		v := pool[r.Intn(len(pool))]
		if f == "_id" {
			v = fmt.Sprintf(`"d%03d"`, r.Intn(60))
		}
		if op == "$exists" {
			v = []string{"true", "false"}[r.Intn(2)]
		}
		conds = append(conds, fmt.Sprintf(`{%q:{%q:%s}}`, f, op, v))
	}
	return `{"$and":[` + strings.Join(conds, ",") + `]}`
}

func TestScanAgreesWithBruteForce(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewSource(3))
	docs := randomDocs(r, 60)
	indexes := []Index{
		mustIndex(t, "a", "a", `{"fields":["a"]}`),
		mustIndex(t, "ab", "ab", `{"fields":["a","b"]}`),
		mustIndex(t, "b", "b", `{"fields":["b"]}`),
	}
	sorts := []string{``, `,"sort":["a"]`, `,"sort":[{"a":"desc"}]`, `,"sort":["a","b"]`, `,"sort":["b"]`}
	planned := map[string]int{}
	t.Cleanup(func() { t.Logf("plans used: %v", planned) })
	for i := 0; i < 400; i++ {
		body := `{"selector":` + randomSelector(r) + sorts[r.Intn(len(sorts))] + `,"limit":1000}`
		q := mustQuery(t, body)
		p, err := q.Plan(indexes)
		if err != nil {
			continue // a sort no index serves
		}
		name := "_all_docs"
		if p.Index != nil {
			name = p.Index.Name
		}
		if p.Start != nil || p.End != nil {
			name += " bounded"
		}
		planned[name]++
		got, _ := scan(t, q, indexes, docs)
		want := bruteForce(q, p, docs)
		if !sameSet(got, want) {
			t.Fatalf("%s (index %v, range %x..%x): got %v, want %v", body, p.Index, p.Start, p.End, got, want)
		}
		checkSorted(t, body, q, got, docs)
		checkPages(t, body, indexes, docs, got)
	}
}

// bruteForce lists the matching docs the plan's index holds.
func bruteForce(q *Query, p *Plan, docs []map[string]any) []string {
	var ids []string
	for _, d := range docs {
		id := d["_id"].(string)
		if strings.HasPrefix(id, "_design/") || !q.Match(d) {
			continue
		}
		if p.Index != nil {
			if _, ok := p.Index.Key(d); !ok {
				continue
			}
		}
		ids = append(ids, id)
	}
	return ids
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func checkSorted(t *testing.T, body string, q *Query, ids []string, docs []map[string]any) {
	t.Helper()
	byID := map[string]map[string]any{}
	for _, d := range docs {
		byID[d["_id"].(string)] = d
	}
	for i := 1; i < len(ids) && len(q.Sort) > 0; i++ {
		var prev, cur []any
		for _, f := range q.Sort {
			prev = append(prev, byID[ids[i-1]][f.Name])
			cur = append(cur, byID[ids[i]][f.Name])
		}
		c := Compare(prev, cur)
		if (q.Sort[0].Desc && c < 0) || (!q.Sort[0].Desc && c > 0) {
			t.Fatalf("%s: %s before %s breaks the sort", body, ids[i-1], ids[i])
		}
	}
}

// checkPages pages through the query with limit 3 and bookmarks.
func checkPages(t *testing.T, body string, indexes []Index, docs []map[string]any, all []string) {
	t.Helper()
	var paged []string
	bookmark := ""
	for range len(all) + 2 {
		b := strings.Replace(body, `"limit":1000`, `"limit":3,"bookmark":"`+bookmark+`"`, 1)
		ids, next := scan(t, mustQuery(t, b), indexes, docs)
		paged = append(paged, ids...)
		if len(ids) < 3 {
			break
		}
		bookmark = next
	}
	if !slices.Equal(paged, all) {
		t.Fatalf("%s: pages %v, want %v", body, paged, all)
	}
}
