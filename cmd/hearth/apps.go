package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/hearth-cloud/hearth/instance/admin"
	"github.com/hearth-cloud/hearth/instance/apps"
	"github.com/hearth-cloud/hearth/registry/manifest"
)

func appsCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: hearth apps install|ls|update|rm …", errUsage)
	}
	sub := args[0]
	fs := newFlagSet("apps "+sub, "hearth apps "+sub+" [flags] …", stderr)
	adminClient := adminFlags(fs)
	instance := fs.String("instance", "", "the instance's domain")
	ref := fs.String("ref", "", "tag, branch or commit to install (default: the default branch, or the installed ref)")
	yes := fs.Bool("yes", false, "accept the permissions without asking (for scripts)")
	deleteData := fs.Bool("delete-data", false, "rm: also delete the documents of the app's doctypes no other app uses")
	all := fs.Bool("all", false, "update: every app; apply what asks for nothing new, list what waits for approval")
	var store apps.StoreRef
	fs.StringVar(&store.Registry, "from-registry", "", "install: the app is a slug of this trusted registry (its URL), not a Git URL")
	fs.StringVar(&store.Origin, "origin", "", "install --from-registry: the app's origin registry key (default: the registry's own apps)")
	fs.StringVar((*string)(&store.Channel), "channel", "", "install --from-registry: stable (default), beta or dev")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if *instance == "" {
		return fmt.Errorf("%w: --instance <domain> is required", errUsage)
	}
	c, err := adminClient()
	if err != nil {
		return err
	}
	a := appsCLI{c: c, domain: *instance, in: bufio.NewReader(stdin), out: stdout, yes: *yes}
	rest := fs.Args()
	switch {
	case sub == "ls":
		return a.list(ctx)
	case sub == "install" && len(rest) == 1 && store.Registry != "":
		store.Slug = rest[0]
		return a.installFromRegistry(ctx, store)
	case sub == "install" && len(rest) == 1:
		return a.install(ctx, apps.Source{URL: rest[0], Ref: *ref})
	case sub == "update" && len(rest) == 0 && *all:
		return a.updateAll(ctx)
	case sub == "update" && len(rest) == 1:
		return a.update(ctx, rest[0], *ref)
	case sub == "rm" && len(rest) == 1:
		return a.remove(ctx, rest[0], *deleteData)
	}
	return fmt.Errorf("%w: hearth apps install <git-url> | install <slug> --from-registry <url> | ls | update <slug> | update --all | rm <slug>, with --instance", errUsage)
}

// appsCLI runs the apps subcommands for one instance.
type appsCLI struct {
	c      *admin.Client
	domain string
	in     *bufio.Reader
	out    io.Writer
	yes    bool
}

func (a appsCLI) list(ctx context.Context) error {
	list, err := a.c.ListApps(ctx, a.domain)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SLUG\tNAME\tVERSION\tKIND\tSOURCE\tWAITING")
	for _, v := range list {
		waiting := ""
		if v.Pending != nil {
			waiting = v.Pending.Version + " (needs approval)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.Slug, v.Name, v.Version, v.Kind, v.Source.URL, waiting)
	}
	return tw.Flush()
}

func (a appsCLI) install(ctx context.Context, src apps.Source) error {
	plan, err := a.c.PrepareApp(ctx, a.domain, src)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.out, "%s %s (%s) asks for:\n", plan.Name, plan.Version, plan.Slug)
	printPermissions(a.out, plan.Permissions)
	return a.confirmAndAccept(ctx, plan, "Install")
}

func (a appsCLI) installFromRegistry(ctx context.Context, ref apps.StoreRef) error {
	plan, err := a.c.PrepareFromRegistry(ctx, a.domain, ref)
	if err != nil {
		return err
	}
	origin := ""
	if rs := plan.Source.Registry; rs != nil {
		origin = fmt.Sprintf(", from %s (origin %s, %s)", rs.URL, rs.OriginName, rs.Origin)
	}
	fmt.Fprintf(a.out, "%s %s (%s%s) asks for:\n", plan.Name, plan.Version, plan.Slug, origin)
	printPermissions(a.out, plan.Permissions)
	return a.confirmAndAccept(ctx, plan, "Install")
}

// updateAll updates what needs no approval and lists what waits; it fails when an app failed.
func (a appsCLI) updateAll(ctx context.Context) error {
	out, err := a.c.UpdateAll(ctx, a.domain)
	if err != nil {
		return err
	}
	failed := 0
	for _, o := range out {
		switch o.Status {
		case apps.OutcomeUpdated:
			fmt.Fprintf(a.out, "updated  %s %s -> %s\n", o.Slug, o.From, o.To)
		case apps.OutcomeCurrent:
			fmt.Fprintf(a.out, "current  %s %s\n", o.Slug, o.From)
		case apps.OutcomeWaiting:
			fmt.Fprintf(a.out, "waiting  %s %s -> %s asks for more (approve: hearth apps update %s --instance %s):\n", o.Slug, o.From, o.To, o.Slug, a.domain)
			printPermissions(a.out, o.NewPermissions)
		default:
			failed++
			fmt.Fprintf(a.out, "failed   %s %s: %s\n", o.Slug, o.From, o.Error)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d apps could not be updated", failed, len(out))
	}
	return nil
}

func (a appsCLI) update(ctx context.Context, slug, ref string) error {
	res, err := a.c.UpdateApp(ctx, a.domain, slug, ref)
	if err != nil {
		return err
	}
	if res.Current {
		fmt.Fprintf(a.out, "%s is up to date\n", slug)
		return nil
	}
	if res.Applied {
		fmt.Fprintf(a.out, "updated %s from %s to %s\n", slug, res.Plan.FromVersion, res.Plan.Version)
		return nil
	}
	fmt.Fprintf(a.out, "%s %s asks for more than %s:\n", slug, res.Plan.Version, res.Plan.FromVersion)
	printPermissions(a.out, res.Plan.NewPermissions)
	return a.confirmAndAccept(ctx, res.Plan, "Update")
}

func (a appsCLI) confirmAndAccept(ctx context.Context, plan *apps.Plan, verb string) error {
	if !a.yes {
		fmt.Fprintf(a.out, "%s? [y/N] ", verb)
		answer, _ := a.in.ReadString('\n')
		if ans := strings.ToLower(strings.TrimSpace(answer)); ans != "y" && ans != "yes" {
			fmt.Fprintln(a.out, "\nnothing changed")
			return fmt.Errorf("%s of %s not accepted", strings.ToLower(verb), plan.Slug)
		}
	}
	v, err := a.c.AcceptPlan(ctx, a.domain, plan.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.out, "%s %s %s on %s\n", map[string]string{"Install": "installed", "Update": "updated"}[verb], v.Slug, v.Version, a.domain)
	return nil
}

func (a appsCLI) remove(ctx context.Context, slug string, deleteData bool) error {
	v, err := a.c.RemoveApp(ctx, a.domain, slug, deleteData)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.out, "removed %s", slug)
	if v.Removed != nil && len(v.Removed.Deleted) > 0 {
		fmt.Fprintf(a.out, "; deleted the documents of %s", strings.Join(v.Removed.Deleted, ", "))
	}
	if v.Removed != nil && len(v.Removed.Kept) > 0 {
		fmt.Fprintf(a.out, "; kept the documents of %s", strings.Join(v.Removed.Kept, ", "))
	}
	fmt.Fprintln(a.out)
	return nil
}

func printPermissions(w io.Writer, perms []manifest.Permission) {
	for _, p := range perms {
		fmt.Fprintf(w, "  - %s (%s): %s\n", p.Doctype, strings.Join(p.Granted(), ", "), p.Description)
	}
}
