package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/store"
)

// runToken manages API tokens: create prints the secret alone on one line
// (so scripts can capture it); it is shown once and stored only hashed.
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("token needs a subcommand: create, list or revoke")
	}
	fs := newFlagSet("token "+args[0], stderr)
	var d dataFlags
	d.register(fs)
	tenant := fs.String("tenant", store.DefaultTenant, "tenant the token belongs to")
	switch args[0] {
	case "create":
		role := fs.String("role", "", "role: monitor, analyst, lead, responder, csirt, auditor, admin, ingest, export, enroll (host agent enrollment)")
		name := fs.String("name", "", "a label to recognise the token by")
		ttl := fs.Duration("ttl", 0, "lifetime (e.g. 720h); 0 means no expiry")
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		if *role == "" {
			return usageError("--role is required")
		}
		st, err := d.openState(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		secret, _, err := auth.CreateToken(ctx, st.Tokens(), *tenant, *role, *name, *ttl, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, secret)
		return nil
	case "list":
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		st, err := d.openState(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		toks, err := st.Tokens().List(ctx, *tenant)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		for _, t := range toks {
			enc.Encode(t)
		}
		return nil
	case "revoke":
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return usageError("token revoke takes one token id")
		}
		st, err := d.openState(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		return st.Tokens().Revoke(ctx, *tenant, fs.Arg(0))
	}
	return usageError("unknown token subcommand %q (create, list, revoke)", args[0])
}
