package search

import (
	"strings"

	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/analysis/lang/ar"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/lang/da"
	"github.com/blevesearch/bleve/v2/analysis/lang/de"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/lang/es"
	"github.com/blevesearch/bleve/v2/analysis/lang/fi"
	"github.com/blevesearch/bleve/v2/analysis/lang/fr"
	"github.com/blevesearch/bleve/v2/analysis/lang/hu"
	"github.com/blevesearch/bleve/v2/analysis/lang/it"
	"github.com/blevesearch/bleve/v2/analysis/lang/nl"
	"github.com/blevesearch/bleve/v2/analysis/lang/no"
	"github.com/blevesearch/bleve/v2/analysis/lang/pt"
	"github.com/blevesearch/bleve/v2/analysis/lang/ro"
	"github.com/blevesearch/bleve/v2/analysis/lang/ru"
	"github.com/blevesearch/bleve/v2/analysis/lang/sv"
	"github.com/blevesearch/bleve/v2/analysis/lang/tr"
	"github.com/blevesearch/bleve/v2/mapping"
)

// Reserved field names of the index. Documents' own fields never start with '_' (CouchDB
// reserves those), so they cannot collide.
const (
	fieldDoctype = "_doctype" // keyword: the document's doctype, filtered on by every query
	// fieldAll was every text field of a document in one; indexes written before it was dropped
	// still hold it, but queries without a field search each field instead (see expand). The
	// mapping's analyzer for it is the text analyzer.
	fieldAll = "_all"
)

// analyzers maps a locale's language to the Bleve analyzer of that language.
var analyzers = map[string]string{
	"ar": ar.AnalyzerName, "da": da.AnalyzerName, "de": de.AnalyzerName, "en": en.AnalyzerName,
	"es": es.AnalyzerName, "fi": fi.AnalyzerName, "fr": fr.AnalyzerName, "hu": hu.AnalyzerName,
	"it": it.AnalyzerName, "nl": nl.AnalyzerName, "no": no.AnalyzerName, "nb": no.AnalyzerName,
	"pt": pt.AnalyzerName, "ro": ro.AnalyzerName, "ru": ru.AnalyzerName,
	"sv": sv.AnalyzerName, "tr": tr.AnalyzerName,
	"ja": cjk.AnalyzerName, "ko": cjk.AnalyzerName, "zh": cjk.AnalyzerName,
}

// AnalyzerFor is the analyzer of a locale such as "fr", "fr-CA" or "pt_BR": the language's
// own when Bleve has one, else the standard analyzer (Unicode words, lower-cased).
func AnalyzerFor(locale string) string {
	lang, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(locale)), "-")
	lang, _, _ = strings.Cut(lang, "_")
	if a, ok := analyzers[lang]; ok {
		return a
	}
	return standard.Name
}

// ValidLocale reports whether locale names a language (two or three letters, optionally a
// region): an unknown language is valid and gets the standard analyzer.
func ValidLocale(locale string) bool {
	if locale == "" {
		return true
	}
	lang, region, hasRegion := strings.Cut(strings.ReplaceAll(locale, "_", "-"), "-")
	if len(lang) < 2 || len(lang) > 3 || !letters(lang) {
		return false
	}
	return !hasRegion || (len(region) >= 2 && len(region) <= 8 && letters(region))
}

func letters(s string) bool {
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// newMapping is the mapping of an instance's index. Documents are indexed with IndexAdvanced
// (see document.go), so the mapping serves queries: which analyzer reads a query's text (the
// default one, for every document field).
func newMapping(analyzer string) *mapping.IndexMappingImpl {
	m := mapping.NewIndexMapping()
	m.DefaultAnalyzer = analyzer
	m.DefaultField = fieldAll
	m.StoreDynamic = false
	m.DocValuesDynamic = false
	dt := mapping.NewKeywordFieldMapping()
	dt.Analyzer = keyword.Name
	dt.Store, dt.IncludeInAll, dt.IncludeTermVectors, dt.DocValues = false, false, false, false
	m.DefaultMapping.AddFieldMappingsAt(fieldDoctype, dt)
	return m
}
