package web

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"unicode/utf8"
)

// The registry's pages: its own templates and CSS under registry/, rendered
// with the same View, CSP nonce, headers and CSRF rules as the instance's.

//go:embed registry/templates/*.html
var registryTemplateFS embed.FS

//go:embed registry/static
var registryStaticFS embed.FS

// registryFuncs are the template functions the registry's pages add.
var registryFuncs = template.FuncMap{
	// webURL reports whether s is an http(s) URL, the only ones shown as links.
	"webURL": IsWebURL,
	"join":   strings.Join,
	// line is the first line of s, cut to n characters.
	"line": func(n int, s string) string {
		s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
		if utf8.RuneCountInString(s) <= n {
			return s
		}
		return string([]rune(s)[:n-1]) + "…"
	},
}

// IsWebURL reports whether s is an absolute http or https URL.
func IsWebURL(s string) bool {
	l := strings.ToLower(s)
	return (strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")) && len(s) > len("https://")
}

// LoadRegistry parses the registry's pages, each with its layout.
func LoadRegistry(log *slog.Logger) (*Pages, error) {
	return loadPages(registryTemplateFS, "registry/templates", registryFuncs, log)
}

// RegistryAssets serves the registry's CSS and the instance's shared assets
// (hearth.css, the logo) under the prefix it is mounted at (strip it first).
func RegistryAssets() http.Handler {
	return serveAssets(unionFS{subFS(registryStaticFS, "registry/static"), subFS(staticFS, "static")})
}

// unionFS opens a name in the first of its file systems that has it.
type unionFS []fs.FS

func (u unionFS) Open(name string) (fs.File, error) {
	for _, f := range u {
		file, err := f.Open(name)
		if !errors.Is(err, fs.ErrNotExist) {
			return file, err
		}
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}
