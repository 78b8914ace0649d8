package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
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

// checkShape runs the shape checker over data and refuses anything after the first value.
func checkShape(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	errs := &problems{}
	c := &shapeChecker{dec: dec, errs: errs}
	if err := c.value("", reflect.TypeFor[Manifest]()); err != nil {
		return syntaxError(data, err)
	}
	if tok, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return syntaxError(data, err)
		}
		line, col := position(data, dec.InputOffset())
		return fmt.Errorf("%w: line %d, column %d: unexpected %s after the manifest", ErrSyntax, line, col, tokenType(tok))
	}
	return errs.err()
}

// syntaxError turns a decoder error into ErrSyntax with a line and column.
func syntaxError(data []byte, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		if len(bytes.TrimSpace(data)) == 0 {
			return fmt.Errorf("%w: the file is empty", ErrSyntax)
		}
		return fmt.Errorf("%w: unexpected end of file", ErrSyntax)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := position(data, se.Offset)
		return fmt.Errorf("%w: line %d, column %d: %s", ErrSyntax, line, col, plainJSONError(err))
	}
	return fmt.Errorf("%w: %s", ErrSyntax, plainJSONError(err))
}

// plainJSONError drops encoding/json's "json: " prefix.
func plainJSONError(err error) string {
	msg := err.Error()
	if len(msg) > 6 && msg[:6] == "json: " {
		return msg[6:]
	}
	return msg
}

// position converts a byte offset into a 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}
