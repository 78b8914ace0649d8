package auth

import "context"

// Caller is who makes a request on an instance: the instance the request reached and what the
// caller's token grants there.
type Caller struct {
	Instance string // instance id
	Subject  string // token subject: "cli", an app slug, a device id
	Perms    Permissions
}

type callerKey struct{}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller ctx carries, if any.
func CallerFrom(ctx context.Context) (*Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(*Caller)
	return c, ok
}
