package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// Parse reads hearth.json strictly: at most MaxSize bytes, one JSON object and nothing after
// it, no unknown field (names are case-sensitive), no duplicate key, every value of the right
// JSON type. Shape problems come back together as a *ValidationError; broken JSON as ErrSyntax.
// Parse does not check the values: call Validate, or use Load for both.
func Parse(data []byte) (*Manifest, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(data), MaxSize)
	}
	if err := checkShape(data); err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		// checkShape accepted the document, so this is not expected; still report it cleanly.
		return nil, fmt.Errorf("%w: %s", ErrSyntax, plainJSONError(err))
	}
	for key, p := range m.Permissions {
		p.Key = key
		m.Permissions[key] = p
	}
	return &m, nil
}

// Load parses and validates hearth.json.
func Load(data []byte) (*Manifest, error) {
	m, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// checkShape refuses broken JSON and anything after the first value, then runs the shape
// checker over data.
func checkShape(data []byte) error {
	if !json.Valid(data) {
		return syntaxError(data)
	}
	errs := &problems{}
	c := &shapeChecker{dec: json.NewDecoder(bytes.NewReader(data)), errs: errs}
	if err := c.value("", reflect.TypeFor[Manifest]()); err != nil {
		// json.Valid accepted data, so the decoder has nothing to complain about.
		return fmt.Errorf("%w: %s", ErrSyntax, plainJSONError(err))
	}
	return errs.err()
}

// syntaxError describes why data is not one JSON value, with a line and column.
func syntaxError(data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("%w: the file is empty", ErrSyntax)
	}
	var v any
	err := json.Unmarshal(data, &v)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	if strings.Contains(se.Error(), "unexpected end") {
		return fmt.Errorf("%w: unexpected end of file", ErrSyntax)
	}
	line, col := position(data, se.Offset-1) // Offset counts the bytes read, the bad one included
	return fmt.Errorf("%w: line %d, column %d: %s", ErrSyntax, line, col, plainJSONError(err))
}

// plainJSONError drops encoding/json's "json: " prefix.
func plainJSONError(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}

// position converts a byte offset into a 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	offset = max(0, min(offset, int64(len(data))))
	before := data[:offset]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}
