package embedded

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

const fileSuffix = ".sqlite"

var dbNameRE = regexp.MustCompile(`^[a-z][a-z0-9_$()+/-]*$`)

// systemDBs are the underscore names CouchDB accepts besides the rule.
var systemDBs = map[string]bool{"_users": true, "_replicator": true, "_global_changes": true}

func validDBName(name string) error {
	if (!dbNameRE.MatchString(name) && !systemDBs[name]) || len(name) > 238 || len(fileName(name)) > 255 {
		return newError(http.StatusBadRequest, "illegal_database_name",
			"Name: '"+name+"'. Only lowercase characters (a-z), digits (0-9), and any of the characters _, $, (, ), +, -, and / are allowed. Must begin with a letter.")
	}
	return nil
}

// fileName encodes a database name into a file name that stays inside the directory: every
// byte outside [a-z0-9_-] becomes ~XX (no database name contains "~").
func fileName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "~%02X", c)
	}
	return b.String() + fileSuffix
}

// dbNameOf decodes a file name made by fileName; ok is false for other files.
func dbNameOf(file string) (string, bool) {
	base, ok := strings.CutSuffix(file, fileSuffix)
	if !ok {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(base); i++ {
		if base[i] != '~' {
			b.WriteByte(base[i])
			continue
		}
		var c byte
		if i+2 >= len(base) {
			return "", false
		}
		if _, err := fmt.Sscanf(base[i+1:i+3], "%02X", &c); err != nil {
			return "", false
		}
		b.WriteByte(c)
		i += 2
	}
	return b.String(), true
}
