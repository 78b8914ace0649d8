package manifest

import (
	"regexp"
	"strings"
)

// localeRe is a BCP 47 language tag in its common forms: fr, pt-BR, zh-Hant-TW, es-419.
var localeRe = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// maxLocaleLen bounds a locale tag.
const maxLocaleLen = 35

func (m *Manifest) checkLocales(p *problems) {
	if len(m.Locales) > MaxLocales {
		p.add("locales", "%d locales, at most %d", len(m.Locales), MaxLocales)
		return
	}
	seen := map[string]string{} // lower-cased tag → tag
	for _, tag := range sortedKeys(m.Locales) {
		field := join("locales", tag)
		if len(tag) > maxLocaleLen || !localeRe.MatchString(tag) {
			p.add(field, "%s is not a language tag such as en, fr or pt-BR", quote(tag))
		} else if other, dup := seen[strings.ToLower(tag)]; dup {
			p.add(field, "same language as locales.%s", other)
		}
		seen[strings.ToLower(tag)] = tag
		loc := m.Locales[tag]
		p.text(field+".name", loc.Name, MaxNameLen, false, false)
		p.text(field+".description", loc.Description, MaxDescriptionLen, false, true)
		for _, key := range sortedKeys(loc.Permissions) {
			kf := join(field+".permissions", key)
			if _, ok := m.Permissions[key]; !ok {
				p.add(kf, "no permission is named %s", quote(key))
				continue
			}
			p.text(kf, loc.Permissions[key], MaxReasonLen, true, true)
		}
	}
}

// Localize returns the app's texts in the language tag asks for (such as "fr-CA"): the
// locale with that exact tag, else the one of its language ("fr"), each missing text taken
// from the manifest's own. Permissions holds a description for every permission key.
func (m *Manifest) Localize(tag string) Locale {
	out := Locale{Name: m.Name, Description: m.Description, Permissions: map[string]string{}}
	for key, p := range m.Permissions {
		out.Permissions[key] = p.Description
	}
	loc, ok := m.findLocale(tag)
	if !ok {
		return out
	}
	if loc.Name != "" {
		out.Name = loc.Name
	}
	if loc.Description != "" {
		out.Description = loc.Description
	}
	for key, reason := range loc.Permissions {
		if _, known := out.Permissions[key]; known && reason != "" {
			out.Permissions[key] = reason
		}
	}
	return out
}

// findLocale matches tag, then its language alone, ignoring case.
func (m *Manifest) findLocale(tag string) (Locale, bool) {
	lang, _, _ := strings.Cut(tag, "-")
	for _, want := range []string{tag, lang} {
		for key, loc := range m.Locales {
			if want != "" && strings.EqualFold(key, want) {
				return loc, true
			}
		}
	}
	return Locale{}, false
}
