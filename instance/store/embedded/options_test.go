package embedded

import (
	"testing"
	"time"

	kivik "github.com/go-kivik/kivik/v4"
)

func TestClientOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []kivik.Option
		want options // zero: an error is expected
	}{
		{"defaults", nil, options{maxOpen: DefaultMaxOpen, idleClose: DefaultIdleClose}},
		{"typed", []kivik.Option{OptionMaxOpen(8), OptionIdleClose(90 * time.Second)}, options{maxOpen: 8, idleClose: 90 * time.Second}},
		{"strings", []kivik.Option{kivik.Param("max_open", "12"), kivik.Param("idle_close", "2m")}, options{maxOpen: 12, idleClose: 2 * time.Minute}},
		{"seconds", []kivik.Option{kivik.Param("idle_close", 30)}, options{maxOpen: DefaultMaxOpen, idleClose: 30 * time.Second}},
		{"no database open", []kivik.Option{OptionMaxOpen(0)}, options{}},
		{"not a number", []kivik.Option{kivik.Param("max_open", "many")}, options{}},
		{"negative idle time", []kivik.Option{OptionIdleClose(-time.Second)}, options{}},
		{"not a duration", []kivik.Option{kivik.Param("idle_close", "soon")}, options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dc, err := (&Driver{}).NewClient(t.TempDir(), multiOption(tt.opts))
			if tt.want == (options{}) {
				if err == nil {
					_ = dc.(*client).Close()
					t.Fatal("NewClient accepted bad options")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := dc.(*client)
			t.Cleanup(func() { _ = c.Close() })
			if c.opts != tt.want {
				t.Fatalf("options = %+v, want %+v", c.opts, tt.want)
			}
		})
	}
}

// multiOption applies several kivik options, as kivik.New hands them to the driver.
type multiOption []kivik.Option

func (m multiOption) Apply(target any) {
	for _, o := range m {
		o.Apply(target)
	}
}
