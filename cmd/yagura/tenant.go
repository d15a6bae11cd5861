package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/yagura-soc/yagura/internal/store"
)

func runTenant(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("tenant needs a subcommand: create or list")
	}
	fs := newFlagSet("tenant "+args[0], stderr)
	var d dataFlags
	d.register(fs)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	st, err := d.openState(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	switch args[0] {
	case "create":
		if fs.NArg() != 1 {
			return usageError("tenant create takes one name")
		}
		name := fs.Arg(0)
		if err := store.ValidTenantName(name); err != nil {
			return err
		}
		if _, err := st.Tenants().Create(ctx, name); errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("tenant %q already exists", name)
		} else if err != nil {
			return err
		}
		fmt.Fprintln(stdout, name)
		return nil
	case "list":
		ts, err := st.Tenants().List(ctx)
		if err != nil {
			return err
		}
		for _, t := range ts {
			fmt.Fprintln(stdout, t.Name)
		}
		return nil
	}
	return usageError("unknown tenant subcommand %q (create, list)", args[0])
}
