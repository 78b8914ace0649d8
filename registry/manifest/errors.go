package manifest

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Errors a manifest can end in. A *ValidationError wraps ErrInvalid.
var (
	ErrInvalid    = errors.New("manifest: invalid")
	ErrSyntax     = errors.New("manifest: not valid JSON")
	ErrTooLarge   = errors.New("manifest: too large")
	ErrBadVersion = errors.New("manifest: bad version")
)

// FieldError is one problem of a manifest.
type FieldError struct {
	Field   string // JSON path such as permissions.notes.verbs[1]; empty for the whole document
	Problem string // what is wrong, safe to show to a user
}

func (e FieldError) Error() string {
	if e.Field == "" {
		return e.Problem
	}
	return e.Field + ": " + e.Problem
}

// ValidationError lists every problem found in a manifest, in document order where possible.
type ValidationError struct {
	Problems []FieldError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(FileName)
	if len(e.Problems) == 1 {
		b.WriteString(": ")
	} else {
		fmt.Fprintf(&b, ": %d problems: ", len(e.Problems))
	}
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// problems collects FieldErrors, keeping at most MaxProblems.
type problems struct {
	list    []FieldError
	dropped int
}

func (p *problems) add(field, format string, args ...any) {
	if len(p.list) >= MaxProblems {
		p.dropped++
		return
	}
	p.list = append(p.list, FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

// err is the collected problems as a *ValidationError, or nil when there are none.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	list := p.list
	if p.dropped > 0 {
		list = append(list, FieldError{Problem: fmt.Sprintf("and %d more problems", p.dropped)})
	}
	return &ValidationError{Problems: list}
}

// plainKey is a map key that reads well after a dot in a path.
var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// join appends an object key to a JSON path: a.b, or a["odd key"] for keys that need quoting.
func join(path, key string) string {
	if !plainKey.MatchString(key) {
		return path + "[" + quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// index appends an array index to a JSON path.
func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// maxQuoted bounds how much of a user's value an error message repeats.
const maxQuoted = 40

// quote renders a value for an error message, cut short when long.
func quote(s string) string {
	if utf8.RuneCountInString(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	r := []rune(s)
	return strconv.Quote(string(r[:maxQuoted])) + "…"
}
