package gitsource

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// maxNameBytes is the longest file name most filesystems accept.
const maxNameBytes = 255

// checkName refuses a path component that a filesystem, a shell or Git
// itself could misread: empty, "." or "..", separators, NUL and control
// characters, invalid UTF-8, trailing dots or spaces (which Windows and
// Samba strip), names over 255 bytes, and anything that folds to ".git".
func checkName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return errors.New("empty, . or .. component")
	case len(name) > maxNameBytes:
		return errors.New("name longer than 255 bytes")
	case !utf8.ValidString(name):
		return errors.New("name is not valid UTF-8")
	case strings.ContainsAny(name, "/\\"):
		return errors.New("name contains a slash or backslash")
	case strings.TrimRight(name, ". ") != name:
		return errors.New("name ends with a dot or space")
	case strings.EqualFold(name, ".git"):
		return errors.New("name is .git")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return errors.New("name contains NUL or a control character")
		}
	}
	return nil
}
