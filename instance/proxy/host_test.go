package proxy

import (
	"errors"
	"testing"
)

func instanceSet(names ...string) func(string) bool {
	set := map[string]bool{}
	for _, n := range names {
		set[n] = true
	}
	return func(d string) bool { return set[d] }
}

func TestParseAppHost(t *testing.T) {
	t.Parallel()
	instances := instanceSet("alice.example", "alice.example:8080", "a-b.example.com", "a.example.com",
		"bob.example.com", "x-y.example.com")
	withParent := instanceSet("bob.example.com", "example.com")
	flat := FlatScheme{Enabled: true, Domain: "example.com"}
	tests := []struct {
		name    string
		host    string
		flat    FlatScheme
		want    AppHost
		wantErr error
		inst    func(string) bool // instances when not nil
	}{
		{"nested", "notes.alice.example", FlatScheme{}, AppHost{"notes", "alice.example"}, nil, nil},
		{"nested with port", "notes.alice.example:8080", FlatScheme{}, AppHost{"notes", "alice.example:8080"}, nil, nil},
		{"upper case", "Notes.Alice.Example", FlatScheme{}, AppHost{"notes", "alice.example"}, nil, nil},
		{"trailing dot", "notes.alice.example.", FlatScheme{}, AppHost{"notes", "alice.example"}, nil, nil},
		{"slug with hyphen", "my-notes.alice.example", FlatScheme{}, AppHost{"my-notes", "alice.example"}, nil, nil},
		{"unknown instance", "notes.carol.example", FlatScheme{}, AppHost{}, ErrNotAppHost, nil},
		{"port not an instance", "notes.alice.example:9090", FlatScheme{}, AppHost{}, ErrNotAppHost, nil},
		{"instance itself", "alice.example", FlatScheme{}, AppHost{}, ErrNotAppHost, nil},
		{"bad slug digit first", "1notes.alice.example", FlatScheme{}, AppHost{}, ErrNotAppHost, nil},
		{"slug too short", "n.alice.example", FlatScheme{}, AppHost{}, ErrNotAppHost, nil},
		{"bad characters", "no_tes.alice.example", FlatScheme{}, AppHost{}, ErrNotAppHost, nil},
		{"empty", "", FlatScheme{}, AppHost{}, ErrNotAppHost, nil},
		{"empty port", "notes.alice.example:", FlatScheme{}, AppHost{}, ErrNotAppHost, nil},
		{"double dot", "notes..alice.example", FlatScheme{}, AppHost{}, ErrNotAppHost, nil},
		{"flat off", "bob-notes.example.com", FlatScheme{}, AppHost{}, ErrNotAppHost, nil},
		{"flat", "bob-notes.example.com", flat, AppHost{"notes", "bob.example.com"}, nil, nil},
		{"flat port", "bob-notes.example.com:443", FlatScheme{true, "example.com"}, AppHost{}, ErrNotAppHost, nil},
		{"flat slug with hyphen", "bob-my-notes.example.com", flat, AppHost{"my-notes", "bob.example.com"}, nil, nil},
		{"flat other domain", "bob-notes.example.org", flat, AppHost{}, ErrNotAppHost, nil},
		{"flat unknown instance", "carol-notes.example.com", flat, AppHost{}, ErrNotAppHost, nil},
		{"flat ambiguous split", "a-b-cd.example.com", flat, AppHost{}, ErrAmbiguous, nil},
		{"flat one split matches", "x-y-notes.example.com", flat, AppHost{"notes", "x-y.example.com"}, nil, nil},
		{"flat domain with dot", "bob-notes.example.com", FlatScheme{true, "example.com."}, AppHost{"notes", "bob.example.com"}, nil, nil},
		// example.com is an instance too: nested reads app bob-notes of example.com.
		{"flat and nested", "bob-notes.example.com", flat, AppHost{}, ErrAmbiguous, withParent},
		{"nested only", "bob-notes.example.com", FlatScheme{}, AppHost{"bob-notes", "example.com"}, nil, withParent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inst := instances
			if tt.inst != nil {
				inst = tt.inst
			}
			got, err := ParseAppHost(tt.host, inst, tt.flat)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ParseAppHost(%q) = %v, %v; want error %v", tt.host, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseAppHost(%q) = %+v, %v; want %+v", tt.host, got, err, tt.want)
			}
		})
	}
}

func TestAppHostNameRoundTrips(t *testing.T) {
	t.Parallel()
	flat := FlatScheme{Enabled: true, Domain: "example.com"}
	tests := []struct {
		instance, slug string
		flat           FlatScheme
		want           string
	}{
		{"alice.example", "notes", FlatScheme{}, "notes.alice.example"},
		{"alice.example:8080", "notes", FlatScheme{}, "notes.alice.example:8080"},
		{"alice.example.com", "notes", flat, "alice-notes.example.com"},
		{"alice.example.com:8443", "notes", flat, "alice-notes.example.com:8443"},
		{"a.b.example.com", "notes", flat, "notes.a.b.example.com"}, // not directly under the domain
		{"alice.other.org", "notes", flat, "notes.alice.other.org"},
	}
	for _, tt := range tests {
		got := AppHostName(tt.instance, tt.slug, tt.flat)
		if got != tt.want {
			t.Errorf("AppHostName(%q, %q) = %q, want %q", tt.instance, tt.slug, got, tt.want)
			continue
		}
		back, err := ParseAppHost(got, instanceSet(tt.instance), tt.flat)
		if err != nil || back != (AppHost{Slug: tt.slug, Instance: tt.instance}) {
			t.Errorf("ParseAppHost(%q) = %+v, %v; want back %s of %s", got, back, err, tt.slug, tt.instance)
		}
	}
}
