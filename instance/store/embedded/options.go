package embedded

import (
	"fmt"
	"strconv"
	"time"

	kivik "github.com/go-kivik/kivik/v4"
	"github.com/go-kivik/kivik/v4/driver"
)

// Defaults of the client's options.
const (
	// DefaultMaxOpen is how many databases a client keeps open at most. An open database
	// costs about half a megabyte (two SQLite connections with their page caches, parsed
	// schema and statements) and re-opening one about a millisecond of CPU.
	DefaultMaxOpen = 64
	// DefaultIdleClose is how long an unused database stays open.
	DefaultIdleClose = time.Minute
)

// The keys of the options NewClient reads; their values are numbers or strings.
const (
	optMaxOpen   = "max_open"   // an integer ≥ 1
	optIdleClose = "idle_close" // a time.Duration, a string time.ParseDuration reads, or seconds
)

// OptionMaxOpen sets how many databases the client keeps open at most (DefaultMaxOpen): when
// more are in use, the least recently used idle ones close, and re-open on their next use.
// Databases with a transaction, a write or a live changes feed in progress stay open.
func OptionMaxOpen(n int) kivik.Option { return kivik.Param(optMaxOpen, n) }

// OptionIdleClose sets how long an unused database stays open (DefaultIdleClose).
func OptionIdleClose(d time.Duration) kivik.Option { return kivik.Param(optIdleClose, d) }

// options are a client's settings.
type options struct {
	maxOpen   int
	idleClose time.Duration
}

func defaultOptions() options {
	return options{maxOpen: DefaultMaxOpen, idleClose: DefaultIdleClose}
}

// parseOptions reads the client options in o over the defaults.
func parseOptions(o driver.Options) (options, error) {
	out := defaultOptions()
	p := getParams(o)
	if p.has(optMaxOpen) {
		n, err := p.int(optMaxOpen, 0)
		if err != nil || n < 1 || n > 1<<20 {
			return out, fmt.Errorf("embedded: option %s: want an integer from 1, got %v", optMaxOpen, p[optMaxOpen])
		}
		out.maxOpen = int(n)
	}
	if p.has(optIdleClose) {
		d, err := parseDuration(p[optIdleClose])
		if err != nil || d <= 0 {
			return out, fmt.Errorf("embedded: option %s: want a positive duration, got %v", optIdleClose, p[optIdleClose])
		}
		out.idleClose = d
	}
	return out, nil
}

// parseDuration reads a time.Duration, a string such as "90s", or a number of seconds.
func parseDuration(v any) (time.Duration, error) {
	switch v := v.(type) {
	case time.Duration:
		return v, nil
	case int:
		return time.Duration(v) * time.Second, nil
	case int64:
		return time.Duration(v) * time.Second, nil
	case float64:
		return time.Duration(v * float64(time.Second)), nil
	case string:
		if secs, err := strconv.ParseFloat(v, 64); err == nil {
			return time.Duration(secs * float64(time.Second)), nil
		}
		return time.ParseDuration(v)
	}
	return 0, fmt.Errorf("embedded: %T is not a duration", v)
}
