package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/yagura-soc/yagura/internal/store"
)

// runAudit verifies audit chains: exit 0 when every chain holds, 1 naming
// the first bad record otherwise.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageError("audit needs a subcommand: verify")
	}
	fs := newFlagSet("audit verify", stderr)
	var d dataFlags
	d.register(fs)
	tenant := fs.String("tenant", "", "verify only this tenant (default: all)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	st, err := d.openState(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	var tenants []string
	if *tenant != "" {
		if _, err := st.Tenants().Get(ctx, *tenant); err != nil {
			return fmt.Errorf("tenant %q does not exist", *tenant)
		}
		tenants = []string{*tenant}
	} else {
		all, err := st.Tenants().List(ctx)
		if err != nil {
			return err
		}
		for _, t := range all {
			tenants = append(tenants, t.Name)
		}
	}
	bad := false
	for _, t := range tenants {
		n, err := st.Scope(t).Audit().Verify(ctx)
		var ce *store.ChainError
		switch {
		case errors.As(err, &ce):
			fmt.Fprintf(stdout, "%s: BROKEN at record %d: %s\n", t, ce.Seq, ce.Reason)
			bad = true
		case err != nil:
			return err
		default:
			fmt.Fprintf(stdout, "%s: ok, %d records\n", t, n)
		}
	}
	if bad {
		return exitError{1}
	}
	return nil
}
