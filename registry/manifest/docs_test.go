package manifest

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// docsPath is the manifest's reference page, which these tests keep true.
const docsPath = "../../docs/manifest.md"

func readDocs(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	jsonBlockRe = regexp.MustCompile("(?s)```json\n(.*?)```")
	backtickRe  = regexp.MustCompile("`([^`]+)`")
)

// TestDocsExamples checks that every ```json block of docs/manifest.md is a manifest that
// parses and validates, and that the token scopes the page lists after it are the right ones.
func TestDocsExamples(t *testing.T) {
	t.Parallel()
	docs := readDocs(t)
	blocks := jsonBlockRe.FindAllStringSubmatchIndex(docs, -1)
	kinds := map[Kind]bool{}
	for _, b := range blocks {
		m, err := Load([]byte(docs[b[2]:b[3]]))
		if err != nil {
			t.Fatalf("example at byte %d: %v", b[0], err)
		}
		kinds[m.Kind] = true
		listed := scopesAfter(docs[b[1]:])
		if listed == nil {
			t.Fatalf("example %s: no \"token scopes are\" sentence after it", m.Slug)
		}
		if got := m.Scopes(); !slices.Equal(got, listed) {
			t.Errorf("example %s: the page lists scopes %q, Scopes() gives %q", m.Slug, listed, got)
		}
	}
	if !kinds[KindStatic] || !kinds[KindNode] {
		t.Fatalf("want a static and a node example, found %v", kinds)
	}
}

// TestDocsListEverything checks that the page names every field and every reserved name.
func TestDocsListEverything(t *testing.T) {
	t.Parallel()
	docs := readDocs(t)
	for _, typ := range []reflect.Type{
		reflect.TypeFor[Manifest](), reflect.TypeFor[Permission](), reflect.TypeFor[Locale](),
		reflect.TypeFor[Node](), reflect.TypeFor[Publisher](),
	} {
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if name != "-" && !strings.Contains(docs, "`"+name+"`") {
				t.Errorf("docs do not mention %s.%s as `%s`", typ.Name(), typ.Field(i).Name, name)
			}
		}
	}
	for _, name := range append(ReservedSlugs(), ReservedDoctypes()...) {
		if !strings.Contains(docs, "`"+name+"`") {
			t.Errorf("docs do not list the reserved name `%s`", name)
		}
	}
}

// scopesAfter reads the scopes in "token scopes are `a` and `b`." before the next code block.
func scopesAfter(text string) []string {
	text, _, _ = strings.Cut(text, "```")
	_, sentence, ok := strings.Cut(text, "token scopes are ")
	if !ok {
		return nil
	}
	sentence, _, _ = strings.Cut(sentence, "\n\n")
	var out []string
	for _, q := range backtickRe.FindAllStringSubmatch(sentence, -1) {
		out = append(out, q[1])
	}
	return out
}
