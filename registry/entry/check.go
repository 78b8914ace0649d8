package entry

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"unicode/utf8"

	"github.com/hearth-cloud/hearth/registry/manifest"
)

var (
	hexRe        = regexp.MustCompile(`^[0-9a-f]+$`)
	advisoryIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)
	originNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.:_-]{0,252}$`)
)

// Check reports the first thing wrong with e, wrapped in ErrFormat. An entry
// comes from another registry: every field is checked before it is stored
// or shown.
func (e *Entry) Check() error {
	if msg := e.problem(); msg != "" {
		return fmt.Errorf("%w: %s", ErrFormat, msg)
	}
	return nil
}

func (e *Entry) problem() string {
	if _, err := ParseFingerprint(e.Origin.Key); err != nil {
		return "origin.key: " + err.Error()
	}
	if !originNameRe.MatchString(e.Origin.Name) {
		return "origin.name: want 1 to 253 of A-Z a-z 0-9 . : _ -"
	}
	if e.Origin.URL != "" && !httpURL(e.Origin.URL) {
		return "origin.url: not an http or https URL"
	}
	if !manifest.ValidSlug(e.Slug) {
		return fmt.Sprintf("slug: %.40q is not a slug", e.Slug)
	}
	if e.Seq <= 0 {
		return "seq: must be positive"
	}
	if e.Time.IsZero() {
		return "time: missing"
	}
	present := 0
	for _, p := range []bool{e.App != nil, e.Version != nil, e.Advisory != nil} {
		if p {
			present++
		}
	}
	if present != 1 {
		return "an entry holds exactly one of app, version and advisory"
	}
	switch e.Kind {
	case KindApp:
		if e.App == nil {
			return "kind app without app"
		}
		return e.App.problem()
	case KindVersion:
		if e.Version == nil {
			return "kind version without version"
		}
		return e.Version.problem(e.Slug)
	case KindAdvisory:
		if e.Advisory == nil {
			return "kind advisory without advisory"
		}
		return e.Advisory.problem()
	}
	return fmt.Sprintf("kind: %.20q is not app, version or advisory", e.Kind)
}

func (a *App) problem() string {
	switch {
	case a.Name == "" || utf8.RuneCountInString(a.Name) > manifest.MaxNameLen || !utf8.ValidString(a.Name):
		return fmt.Sprintf("app.name: want 1 to %d characters", manifest.MaxNameLen)
	case utf8.RuneCountInString(a.Description) > manifest.MaxDescriptionLen || !utf8.ValidString(a.Description):
		return fmt.Sprintf("app.description: longer than %d characters", manifest.MaxDescriptionLen)
	case len(a.Source) > MaxSourceURLen || a.Source == "":
		return "app.source: missing or too long"
	case a.Homepage != "" && !httpURL(a.Homepage):
		return "app.homepage: not an http or https URL"
	case utf8.RuneCountInString(a.Publisher) > manifest.MaxNameLen || !utf8.ValidString(a.Publisher):
		return "app.publisher: too long"
	case len(a.Categories) > 8:
		return "app.categories: more than 8"
	}
	for _, c := range a.Categories {
		if !manifest.ValidCategory(c) {
			return fmt.Sprintf("app.categories: %.40q is not a category", c)
		}
	}
	if d := a.Deprecated; d != nil {
		if d.Reason == "" || utf8.RuneCountInString(d.Reason) > MaxReasonLen || !utf8.ValidString(d.Reason) {
			return fmt.Sprintf("app.deprecated.reason: want 1 to %d characters", MaxReasonLen)
		}
		if d.Replacement != "" && !manifest.ValidSlug(d.Replacement) {
			return "app.deprecated.replacement: not a slug"
		}
	}
	return ""
}

func (v *Version) problem(slug string) string {
	sv, err := manifest.ParseVersion(v.Version)
	if err != nil {
		return "version.version: " + err.Error()
	}
	switch {
	case v.Tag == "" && v.Channel != manifest.ChannelDev:
		return "version.channel: a version without a tag is on the dev channel"
	case v.Tag != "" && v.Channel != sv.Channel():
		return fmt.Sprintf("version.channel: %s is on the %s channel", v.Version, sv.Channel())
	case len(v.Tag) > 255:
		return "version.tag: too long"
	case len(v.Commit) != 40 || !hexRe.MatchString(v.Commit):
		return "version.commit: not a 40-digit hex commit"
	case len(v.Tree) != 40 || !hexRe.MatchString(v.Tree):
		return "version.tree: not a 40-digit hex tree"
	case len(v.ArchiveSHA256) != 64 || !hexRe.MatchString(v.ArchiveSHA256):
		return "version.archive_sha256: not 64 hex digits"
	case v.ArchiveSize <= 0:
		return "version.archive_size: must be positive"
	}
	if v.Yanked != nil && (v.Yanked.Reason == "" || utf8.RuneCountInString(v.Yanked.Reason) > MaxReasonLen || !utf8.ValidString(v.Yanked.Reason)) {
		return fmt.Sprintf("version.yanked.reason: want 1 to %d characters", MaxReasonLen)
	}
	m, err := manifest.Load(v.Manifest)
	if err != nil {
		return "version.manifest: " + err.Error()
	}
	if m.Slug != slug || m.Version != v.Version {
		return fmt.Sprintf("version.manifest: names %s %s, the entry %s %s", m.Slug, m.Version, slug, v.Version)
	}
	return ""
}

func (a *Advisory) problem() string {
	switch {
	case !advisoryIDRe.MatchString(a.ID):
		return "advisory.id: want 1 to 64 of A-Z a-z 0-9 . _ : -"
	case a.Summary == "" || utf8.RuneCountInString(a.Summary) > MaxSummaryLen || !utf8.ValidString(a.Summary):
		return fmt.Sprintf("advisory.summary: want 1 to %d characters", MaxSummaryLen)
	case !slices.Contains(Severities, a.Severity):
		return "advisory.severity: want low, moderate, high or critical"
	case a.URL != "" && !httpURL(a.URL):
		return "advisory.url: not an http or https URL"
	}
	if _, err := manifest.ParseVersion(a.Fixed); err != nil {
		return "advisory.fixed: " + err.Error()
	}
	return ""
}

// Affects reports whether version v of the app is affected by a: it is below the fixed version.
func (a *Advisory) Affects(v string) bool {
	fixed, err1 := manifest.ParseVersion(a.Fixed)
	have, err2 := manifest.ParseVersion(v)
	return err1 == nil && err2 == nil && have.Less(fixed)
}

func httpURL(s string) bool {
	if len(s) > MaxSourceURLen {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}
