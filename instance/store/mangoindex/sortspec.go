package mangoindex

// Field is one column of an index or one sort criterion: a dotted path
// ("a.b", with "\." escaping a literal dot) and a direction.
type Field struct {
	Name string
	Desc bool
}

// direction returns "asc" or "desc".
func (f Field) direction() string {
	if f.Desc {
		return "desc"
	}
	return "asc"
}

// parseSortSpec parses CouchDB's sort syntax, used both for index "fields"
// and for _find's "sort": ["a", {"b": "desc"}]; all fields must share one
// direction.
func parseSortSpec(v any) ([]Field, error) {
	items, ok := v.([]any)
	if !ok {
		return nil, badRequest("invalid_sort_json", "Sort must be an array of sort specs, not: %s", jsonText(v))
	}
	out := make([]Field, 0, len(items))
	for _, it := range items {
		f, err := parseSortField(it)
		if err != nil {
			return nil, err
		}
		if len(out) > 0 && out[0].Desc != f.Desc {
			return nil, badRequest("unsupported_mixed_sort", "Sorts currently only support a single direction for all fields.")
		}
		out = append(out, f)
	}
	return out, nil
}

func parseSortField(v any) (Field, error) {
	switch t := v.(type) {
	case string:
		if t != "" {
			return Field{Name: t}, nil
		}
	case map[string]any:
		if len(t) != 1 {
			break
		}
		for name, dir := range t {
			if name == "" {
				break
			}
			switch dir {
			case "asc":
				return Field{Name: name}, nil
			case "desc":
				return Field{Name: name, Desc: true}, nil
			}
			return Field{}, badRequest("invalid_sort_dir", "Invalid sort direction: %s", jsonText(dir))
		}
	}
	return Field{}, badRequest("invalid_sort_field", "Invalid sort field: %s", jsonText(v))
}

// sortJSON renders fields as [{"a": "asc"}, …].
func sortJSON(fields []Field) []any {
	out := make([]any, len(fields))
	for i, f := range fields {
		out[i] = map[string]any{f.Name: f.direction()}
	}
	return out
}

// fieldNames returns the names of fields.
func fieldNames(fields []Field) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.Name
	}
	return out
}
