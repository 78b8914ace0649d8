package datasys

import (
	"reflect"
	"testing"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		path string
		want target
		bad  bool
	}{
		{"io.hearth.notes", target{doctype: "io.hearth.notes"}, false},
		{"io.hearth.notes/", target{doctype: "io.hearth.notes"}, false},
		{"io.hearth.notes/doc1", target{doctype: "io.hearth.notes", docID: "doc1"}, false},
		{"io.hearth.notes/a%2Fb", target{doctype: "io.hearth.notes", docID: "a/b"}, false},
		{"io.hearth.notes/a%2Fb/photo.jpg", target{doctype: "io.hearth.notes", docID: "a/b", att: "photo.jpg"}, false},
		{"io.hearth.notes/doc/dir/file.txt", target{doctype: "io.hearth.notes", docID: "doc", att: "dir/file.txt"}, false},
		{"io.hearth.notes/_local/cp", target{doctype: "io.hearth.notes", docID: "_local/cp"}, false},
		{"io.hearth.notes/_local%2Fcp", target{doctype: "io.hearth.notes", docID: "_local/cp"}, false},
		{"io.hearth.notes/_design/x/att", target{doctype: "io.hearth.notes", docID: "_design/x", att: "att"}, false},
		{"io.hearth.notes/_all_docs", target{doctype: "io.hearth.notes", special: "_all_docs", rest: []string{}}, false},
		{"io.hearth.notes/_index/_design%2Fx/json/n", target{doctype: "io.hearth.notes", special: "_index", rest: []string{"_design/x", "json", "n"}}, false},
		{"io.hearth.notes/..", target{doctype: "io.hearth.notes", docID: ".."}, false},
		{"io.hearth.notes/_local", target{}, true},
		{"io.hearth.notes/bad%zz", target{}, true},
		{"io.hearth.notes/nul%00", target{}, true},
		{"io.hearth.notes/%ff", target{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := parseTarget(tt.path)
			if tt.bad {
				if err == nil {
					t.Fatalf("parseTarget(%q) = %+v, want an error", tt.path, got)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parseTarget(%q) = %+v, %v; want %+v", tt.path, got, err, tt.want)
			}
		})
	}
}
