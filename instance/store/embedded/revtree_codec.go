package embedded

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
)

// treeFormat is the first byte of an encoded revision tree. Version 1: a uvarint node count,
// then per node, in (generation, rev) order: uvarint length and bytes of the rev, uvarint
// index+1 of the parent (0: none), one byte deleted flag.
const treeFormat = 1

func (t revTree) encode() []byte {
	type item struct {
		gen  int
		node *revNode
	}
	items := make([]item, 0, len(t))
	for _, n := range t {
		items = append(items, item{revGen(n.Rev), n})
	}
	sort.Slice(items, func(i, j int) bool {
		if items[i].gen != items[j].gen {
			return items[i].gen < items[j].gen
		}
		return items[i].node.Rev < items[j].node.Rev
	})
	index := make(map[string]int, len(items))
	for i, it := range items {
		index[it.node.Rev] = i
	}
	buf := make([]byte, 0, 1+binary.MaxVarintLen64+len(items)*40)
	buf = append(buf, treeFormat)
	buf = binary.AppendUvarint(buf, uint64(len(items)))
	for _, it := range items {
		buf = binary.AppendUvarint(buf, uint64(len(it.node.Rev)))
		buf = append(buf, it.node.Rev...)
		parent := uint64(0)
		if i, ok := index[it.node.Parent]; ok && it.node.Parent != "" {
			parent = uint64(i) + 1
		}
		buf = binary.AppendUvarint(buf, parent)
		buf = append(buf, map[bool]byte{false: 0, true: 1}[it.node.Deleted])
	}
	return buf
}

func decodeTree(data []byte) (revTree, error) {
	if len(data) > 0 && data[0] == '[' {
		return decodeJSONTree(data)
	}
	if len(data) == 0 || data[0] != treeFormat {
		return nil, fmt.Errorf("%w: unknown revision tree format", errBadStoredDoc)
	}
	d := data[1:]
	count, ok := uvarint(&d)
	if !ok || count > uint64(len(d)) {
		return nil, fmt.Errorf("%w: truncated revision tree", errBadStoredDoc)
	}
	nodes := make([]*revNode, count)
	parents := make([]uint64, count)
	for i := range nodes {
		n, ok := uvarint(&d)
		if !ok || n > uint64(len(d)) {
			return nil, fmt.Errorf("%w: truncated revision tree", errBadStoredDoc)
		}
		nodes[i] = &revNode{Rev: string(d[:n])}
		d = d[n:]
		if parents[i], ok = uvarint(&d); !ok || parents[i] > count || len(d) == 0 {
			return nil, fmt.Errorf("%w: truncated revision tree", errBadStoredDoc)
		}
		nodes[i].Deleted, d = d[0] == 1, d[1:]
	}
	t := make(revTree, count)
	for i, n := range nodes {
		if parents[i] > 0 {
			n.Parent = nodes[parents[i]-1].Rev
		}
		t[n.Rev] = n
	}
	return t, nil
}

func uvarint(d *[]byte) (uint64, bool) {
	v, n := binary.Uvarint(*d)
	if n <= 0 {
		return 0, false
	}
	*d = (*d)[n:]
	return v, true
}

// decodeJSONTree reads the JSON form of the first stored trees.
func decodeJSONTree(data []byte) (revTree, error) {
	var nodes []*revNode
	if err := json.Unmarshal(data, &nodes); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadStoredDoc, err)
	}
	t := make(revTree, len(nodes))
	for _, n := range nodes {
		t[n.Rev] = n
	}
	return t, nil
}
