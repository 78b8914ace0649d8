package manifest

import (
	"encoding/json"
	"reflect"
	"strings"
)

// shapeChecker walks a manifest's JSON tokens beside the Manifest type and reports what
// encoding/json would silently accept: unknown fields (also those differing only in case),
// duplicate keys, and values of the wrong JSON type. Syntax errors end the walk.
type shapeChecker struct {
	dec  *json.Decoder
	errs *problems
}

// value checks the next JSON value at path against t.
func (c *shapeChecker) value(path string, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := c.dec.Token()
	if err != nil {
		return err
	}
	if tok == nil { // null leaves the field empty, as encoding/json does
		return nil
	}
	want, ok := jsonTypeOf(t)
	if got := tokenType(tok); !ok || got != want {
		c.errs.add(path, "want %s, got %s", want, got)
		return c.skip(tok)
	}
	switch t.Kind() {
	case reflect.Struct:
		return c.object(path, func(key string) (reflect.Type, bool) { return fieldType(t, key) })
	case reflect.Map:
		return c.object(path, func(string) (reflect.Type, bool) { return t.Elem(), true })
	case reflect.Slice:
		return c.array(path, t.Elem())
	}
	return nil
}

// object checks the members of an object whose '{' was read; typeOf says each key's type.
func (c *shapeChecker) object(path string, typeOf func(string) (reflect.Type, bool)) error {
	seen := map[string]bool{}
	for c.dec.More() {
		tok, err := c.dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		field := join(path, key)
		if seen[key] {
			c.errs.add(field, "duplicate key")
		}
		seen[key] = true
		t, known := typeOf(key)
		if !known {
			c.errs.add(field, "unknown field")
			if err := c.skipNext(); err != nil {
				return err
			}
			continue
		}
		if err := c.value(field, t); err != nil {
			return err
		}
	}
	_, err := c.dec.Token() // '}'
	return err
}

// array checks the elements of an array whose '[' was read.
func (c *shapeChecker) array(path string, elem reflect.Type) error {
	for i := 0; c.dec.More(); i++ {
		if err := c.value(index(path, i), elem); err != nil {
			return err
		}
	}
	_, err := c.dec.Token() // ']'
	return err
}

// skipNext reads and discards the next value.
func (c *shapeChecker) skipNext() error {
	tok, err := c.dec.Token()
	if err != nil {
		return err
	}
	return c.skip(tok)
}

// skip discards the rest of a value whose first token was tok.
func (c *shapeChecker) skip(tok json.Token) error {
	d, ok := tok.(json.Delim)
	if !ok || (d != '{' && d != '[') {
		return nil
	}
	for depth := 1; depth > 0; {
		tok, err := c.dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// fieldType finds the struct field whose JSON name is exactly key.
func fieldType(t reflect.Type, key string) (reflect.Type, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == key && name != "-" && f.IsExported() {
			return f.Type, true
		}
	}
	return nil, false
}

// jsonTypeOf names the JSON type a Go type reads from.
func jsonTypeOf(t reflect.Type) (string, bool) {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object", true
	case reflect.Slice:
		return "an array", true
	case reflect.String:
		return "a string", true
	}
	return "nothing", false
}

// tokenType names the JSON type a token starts.
func tokenType(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, json.Number:
		return "a number"
	}
	return "null"
}
