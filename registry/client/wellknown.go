package client

import (
	"context"
	"fmt"
)

// WellKnown is what a registry says of itself at /.well-known/hearth-registry.
type WellKnown struct {
	Name     string `json:"name"`
	Key      string `json:"key"`
	URL      string `json:"url"`
	API      string `json:"api"`
	Changes  string `json:"changes"`
	Archives string `json:"archives"`
}

// Check reads the registry's well-known document and checks that the key it publishes is the
// pinned one.
func (c *Client) Check(ctx context.Context) (*WellKnown, error) {
	var wk WellKnown
	if err := c.get(ctx, "/.well-known/hearth-registry", nil, &wk); err != nil {
		return nil, err
	}
	if wk.Key != c.key {
		return nil, fmt.Errorf("%w: %s publishes the key %s, but the key pinned for it is %s",
			ErrKeyMismatch, c.base, Printable(wk.Key, 100), c.key)
	}
	wk.Name = Printable(wk.Name, 253)
	return &wk, nil
}
