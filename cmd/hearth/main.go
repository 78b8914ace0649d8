// Command hearth is the Hearth personal cloud: the instance runtime and the tools to run it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/hearth-cloud/hearth/instance/store/embedded" // the embedded kivik driver
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `hearth: a personal cloud you own.

Usage:
  hearth serve [flags]                         run the instance runtime
  hearth instances add <domain>                create an instance
  hearth instances ls                          list instances
  hearth instances show <domain>               show one instance
  hearth instances rm <domain>                 delete an instance and all its data
  hearth instances block|unblock <domain>      stop or resume serving an instance
  hearth instances token <domain> <scope>...   print a bearer token (scope: io.hearth.notes or io.hearth.notes:GET,POST)
  hearth instances registries <domain> [--set URL=ed25519:KEY ...] [--clear]
                                               show or set the app registries an instance trusts
  hearth instances reindex <domain> [--locale L]
                                               rebuild the instance's search index (search keeps answering)
  hearth apps install <git-url> --instance <domain> [--ref R] [--yes]
                                               install an app after showing the permissions it asks for
  hearth apps ls --instance <domain>           list the installed apps
  hearth apps install <slug> --from-registry URL --instance <domain> [--yes]
                                               install an app from a trusted registry
  hearth apps update <slug>|--all --instance <domain> [--ref R] [--yes]
  hearth apps rm <slug> --instance <domain> [--delete-data]
  hearth registry serve [flags]                run an app registry (docs/registry.md)
  hearth registry key [--data-dir D]           print the registry's key fingerprint, for who pins it
  hearth registry follow <url> --key ed25519:…
                                               mirror another registry
  hearth login <instance-url> --scope "io.hearth.notes io.hearth.contacts:GET"
                                               connect this computer as a device (the owner approves in the browser)
  hearth data get|put|find|changes <doctype> … [--instance URL]
                                               read and write the instance's documents (docs/devices.md)
  hearth search <query> [--doctype D] [--limit N] [--instance URL]
                                               search the instance's documents
  hearth version                               print the version

Run "hearth <command> --help" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stdout, stderr)
	case "instances":
		err = instances(ctx, args[1:], stdout, stderr)
	case "apps":
		err = appsCommand(ctx, args[1:], stdin, stdout, stderr)
	case "registry":
		err = registryCommand(ctx, args[1:], stdout, stderr)
	case "login":
		err = loginCommand(ctx, args[1:], stdout, stderr)
	case "data":
		err = dataCommand(ctx, args[1:], stdin, stdout, stderr)
	case "search":
		err = searchCommand(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "hearth", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "hearth: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "hearth:", err)
		return 2
	}
	fmt.Fprintln(stderr, "hearth:", err)
	return 1
}

var errUsage = errors.New("usage")
