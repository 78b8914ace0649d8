package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hearth-cloud/hearth/instance/admin"
	"github.com/hearth-cloud/hearth/instance/apps"
)

func instances(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: hearth instances add|ls|show|onboarding|rm|block|unblock|token|registries|reindex …", errUsage)
	}
	sub := args[0]
	fs := newFlagSet("instances "+sub, "hearth instances "+sub+" [flags] …", stderr)
	adminClient := adminFlags(fs)
	ttl := fs.String("ttl", "", "token lifetime such as 24h (token only; default: no expiry)")
	reset := fs.Bool("reset", false, "onboarding only: forget the owner's passphrase and two-factor first (a lost passphrase)")
	var set []apps.Registry
	fs.Var(registriesFlag{&set}, "set", "registries only: trust these registries, URL=ed25519:KEY (repeat, in priority order), instead of the runtime's")
	clearOwn := fs.Bool("clear", false, "registries only: trust the runtime's registries again")
	var locale *string
	fs.Func("locale", "reindex only: set the instance's locale first (en, fr, pt-BR…; empty for none): it picks the search analyzer", func(s string) error {
		locale = &s
		return nil
	})
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	c, err := adminClient()
	if err != nil {
		return err
	}
	rest := fs.Args()
	need := func(n int, what string) error {
		if len(rest) < n {
			return fmt.Errorf("%w: hearth instances %s %s", errUsage, sub, what)
		}
		return nil
	}
	switch sub {
	case "add":
		if err := need(1, "<domain>"); err != nil {
			return err
		}
		v, err := c.AddInstance(ctx, rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added %s (id %s)\n", v.Domain, v.ID)
		if v.Onboarding != nil {
			printOnboarding(stdout, *v.Onboarding)
		}
	case "onboarding":
		if err := need(1, "<domain> [--reset]"); err != nil {
			return err
		}
		o, err := c.Onboarding(ctx, rest[0], *reset)
		if err != nil {
			return err
		}
		printOnboarding(stdout, o)
	case "ls":
		list, err := c.ListInstances(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DOMAIN\tSTATE\tCREATED")
		for _, v := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Domain, v.State, v.CreatedAt.Format("2006-01-02 15:04"))
		}
		return tw.Flush()
	case "show":
		if err := need(1, "<domain>"); err != nil {
			return err
		}
		v, err := c.ShowInstance(ctx, rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "domain:  %s\nid:      %s\nstate:   %s\ncreated: %s\n", v.Domain, v.ID, v.State, v.CreatedAt.Format("2006-01-02 15:04:05 MST"))
	case "rm":
		if err := need(1, "<domain>"); err != nil {
			return err
		}
		if err := c.RemoveInstance(ctx, rest[0]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed %s and its data\n", rest[0])
	case "block", "unblock":
		if err := need(1, "<domain>"); err != nil {
			return err
		}
		v, err := c.SetBlocked(ctx, rest[0], sub == "block")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s is %s\n", v.Domain, v.State)
	case "registries":
		if err := need(1, "<domain> [--set URL=KEY ...] [--clear]"); err != nil {
			return err
		}
		return instanceRegistries(ctx, c, stdout, rest[0], set, *clearOwn)
	case "reindex":
		if err := need(1, "<domain> [--locale L]"); err != nil {
			return err
		}
		r, err := c.Reindex(ctx, rest[0], locale)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "reindexed %s: %d documents of %d doctypes, analyzer %s, generation %d, in %s\n",
			rest[0], r.Documents, len(r.Doctypes), r.Analyzer, r.Generation, r.Took.Round(time.Millisecond))
	case "token":
		if err := need(2, "<domain> <scope>..."); err != nil {
			return err
		}
		tok, err := c.Token(ctx, rest[0], admin.TokenRequest{Scopes: rest[1:], TTL: *ttl})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, tok)
	default:
		return fmt.Errorf("%w: unknown instances command %q", errUsage, sub)
	}
	return nil
}

// instanceRegistries shows the registries an instance trusts, after setting or clearing its
// own list.
func instanceRegistries(ctx context.Context, c *admin.Client, out io.Writer, domain string, set []apps.Registry, clearOwn bool) error {
	var v admin.RegistriesView
	var err error
	switch {
	case clearOwn && set != nil:
		return fmt.Errorf("%w: --set or --clear, not both", errUsage)
	case clearOwn:
		v, err = c.ClearRegistries(ctx, domain)
	case set != nil:
		v, err = c.SetRegistries(ctx, domain, set)
	default:
		v, err = c.Registries(ctx, domain)
	}
	if err != nil {
		return err
	}
	whose := "the runtime's list (hearth serve --registry)"
	if v.Own {
		whose = "its own list"
	}
	fmt.Fprintf(out, "%s trusts %d registries, in priority order, from %s:\n", domain, len(v.Registries), whose)
	for i, r := range v.Registries {
		fmt.Fprintf(out, "  %d. %s  %s\n", i+1, r.URL, r.Key)
	}
	return nil
}

// printOnboarding tells how to claim an instance.
func printOnboarding(out io.Writer, o admin.Onboarding) {
	fmt.Fprintf(out, "To set the owner's passphrase, open this one-time link (valid until %s):\n  %s\n",
		o.ExpiresAt.Local().Format("2006-01-02 15:04 MST"), o.URL)
}

// adminFlags adds the flags that reach a runtime's admin API, and returns how to make its
// client once the flags are parsed.
func adminFlags(fs *flag.FlagSet) func() (*admin.Client, error) {
	adminURL := fs.String("admin-url", "http://127.0.0.1:6060", "the runtime's admin API")
	dataDir := fs.String("data-dir", "./hearth-data", "the runtime's data directory, where the admin secret is")
	return func() (*admin.Client, error) {
		secret, err := adminSecret(*dataDir)
		if err != nil {
			return nil, err
		}
		return &admin.Client{URL: *adminURL, Secret: secret}, nil
	}
}

// adminSecret comes from HEARTH_ADMIN_SECRET (or …_FILE), else from the data directory.
func adminSecret(dataDir string) (string, error) {
	if s := strings.TrimSpace(os.Getenv("HEARTH_ADMIN_SECRET")); s != "" {
		return s, nil
	}
	if p := os.Getenv("HEARTH_ADMIN_SECRET_FILE"); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return "", fmt.Errorf("HEARTH_ADMIN_SECRET_FILE: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	path := filepath.Join(dataDir, admin.SecretFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("no admin secret: set HEARTH_ADMIN_SECRET or point --data-dir at the runtime's data directory (%w)", err)
	}
	return strings.TrimSpace(string(b)), nil
}
