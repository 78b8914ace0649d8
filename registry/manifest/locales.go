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

// Localize returns the app's texts in the language tag asks for (such as "fr-CA"), text by
// text: from the locale with that exact tag, else the one of its language ("fr"), else the
// manifest's own. Tags compare without regard to case. Permissions holds a description for
// every permission key.
func (m *Manifest) Localize(tag string) Locale {
	chain := m.localeChain(tag)
	out := Locale{
		Name:        pick(chain, func(l Locale) string { return l.Name }, m.Name),
		Description: pick(chain, func(l Locale) string { return l.Description }, m.Description),
		Permissions: make(map[string]string, len(m.Permissions)),
	}
	for key, p := range m.Permissions {
		out.Permissions[key] = pick(chain, func(l Locale) string { return l.Permissions[key] }, p.Description)
	}
	return out
}

// localeChain lists the locales matching tag, then its language alone.
func (m *Manifest) localeChain(tag string) []Locale {
	lang, _, _ := strings.Cut(tag, "-")
	var chain []Locale
	for i, want := range []string{tag, lang} {
		if want == "" || (i == 1 && lang == tag) {
			continue
		}
		for key, loc := range m.Locales {
			if strings.EqualFold(key, want) {
				chain = append(chain, loc)
				break
			}
		}
	}
	return chain
}

// pick returns the first non-blank text of the chain, else def.
func pick(chain []Locale, text func(Locale) string, def string) string {
	for _, l := range chain {
		if s := text(l); strings.TrimSpace(s) != "" {
			return s
		}
	}
	return def
}
