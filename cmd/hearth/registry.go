package main

import (
	"context"
	"fmt"
	"io"
)

const registryUsage = `Usage:
  hearth registry serve [flags]     run an app registry
  hearth registry key [--data-dir D]  print the registry's key fingerprint (created if missing)
  hearth registry follow <url> --key ed25519:… [flags]
                                    mirror another registry (checked against its pinned key)
`

// registryCommand dispatches "hearth registry <sub>".
func registryCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, registryUsage)
		return fmt.Errorf("%w: registry needs a subcommand", errUsage)
	}
	switch args[0] {
	case "serve":
		return registryServe(ctx, args[1:], stdout, stderr)
	case "key":
		return registryKey(args[1:], stdout, stderr)
	case "follow":
		return registryFollow(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, registryUsage)
	return fmt.Errorf("%w: unknown registry subcommand %q", errUsage, args[0])
}
