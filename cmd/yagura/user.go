package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/yagura-soc/yagura/internal/auth"
	"github.com/yagura-soc/yagura/internal/store"
)

// runUser manages people from the shell: it works with or without a
// running server, like `yagura token`.
func runUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("user needs a subcommand: create, passwd, bind, unbind, totp, unlock, disable, list")
	}
	sub := args[0]
	fs := newFlagSet("user "+sub, stderr)
	var d dataFlags
	d.register(fs)
	tenant := fs.String("tenant", store.DefaultTenant, "tenant of the role binding")
	role := fs.String("role", "", "role in the tenant")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input (else one is generated and printed)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	st, err := d.openState(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	users := st.Users()
	name := fs.Arg(0)
	if sub != "list" && (fs.NArg() != 1 || name == "") {
		return usageError("user %s takes one user name", sub)
	}
	// Changes made here are audited like API changes, as the shell operator.
	record := func(tenant, action string, details map[string]any) {
		st.Scope(tenant).Audit().Append(ctx, store.AuditRecord{Actor: "shell:" + os.Getenv("USER"), Role: "shell",
			Action: action, Object: "user/" + name, Details: details})
	}
	switch sub {
	case "create":
		if !auth.ValidRole(*role) || *role == auth.RoleIngest {
			return usageError("--role must be one of monitor, analyst, lead, responder, csirt, auditor, admin")
		}
		password, generated, err := passwordFor(name, *pwStdin, os.Stdin)
		if err != nil {
			return err
		}
		hash, err := auth.HashPassword(password)
		if err != nil {
			return err
		}
		if err := users.Create(ctx, store.User{Name: name, PasswordHash: hash}); errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("user %q exists (use 'yagura user bind' to give a role in another tenant)", name)
		} else if err != nil {
			return err
		}
		if err := users.Bind(ctx, store.RoleBinding{User: name, Tenant: *tenant, Role: *role}); err != nil {
			return err
		}
		record(*tenant, "user.bind", map[string]any{"role": *role, "created": true})
		if generated {
			fmt.Fprintln(stdout, password)
		}
		return nil
	case "passwd":
		u, err := users.Get(ctx, name)
		if err != nil {
			return fmt.Errorf("user %q: %w", name, err)
		}
		password, generated, err := passwordFor(name, *pwStdin, os.Stdin)
		if err != nil {
			return err
		}
		if u.PasswordHash, err = auth.HashPassword(password); err != nil {
			return err
		}
		if err := users.Update(ctx, u); err != nil {
			return err
		}
		st.Sessions().DeleteUser(ctx, name)
		record(store.DefaultTenant, "user.password", nil)
		if generated {
			fmt.Fprintln(stdout, password)
		}
		return nil
	case "bind":
		if !auth.ValidRole(*role) || *role == auth.RoleIngest {
			return usageError("--role must be one of monitor, analyst, lead, responder, csirt, auditor, admin")
		}
		if err := users.Bind(ctx, store.RoleBinding{User: name, Tenant: *tenant, Role: *role}); err != nil {
			return err
		}
		record(*tenant, "user.bind", map[string]any{"role": *role})
		return nil
	case "unbind":
		if err := users.Unbind(ctx, name, *tenant); err != nil {
			return fmt.Errorf("user %q has no role in %q", name, *tenant)
		}
		record(*tenant, "user.unbind", nil)
		return nil
	case "totp":
		u, err := users.Get(ctx, name)
		if err != nil {
			return fmt.Errorf("user %q: %w", name, err)
		}
		secret, err := auth.NewTOTPSecret()
		if err != nil {
			return err
		}
		codes, err := auth.NewRecoveryCodes(10)
		if err != nil {
			return err
		}
		hashes := make([][]byte, len(codes))
		for i, c := range codes {
			hashes[i] = auth.HashToken(c)
		}
		u.TOTPSecret, u.TOTPLastStep = secret, 0
		if err := users.Update(ctx, u); err != nil {
			return err
		}
		if err := users.SetRecoveryCodes(ctx, name, hashes); err != nil {
			return err
		}
		record(store.DefaultTenant, "user.totp", nil)
		fmt.Fprintf(stdout, "%s\n\nrecovery codes (each works once; keep them offline):\n%s\n",
			auth.TOTPURI(secret, name, "Yagura"), strings.Join(codes, "\n"))
		return nil
	case "unlock", "disable", "enable":
		u, err := users.Get(ctx, name)
		if err != nil {
			return fmt.Errorf("user %q: %w", name, err)
		}
		switch sub {
		case "unlock":
			u.FailedLogins, u.LockedUntil = 0, nil
		case "disable":
			u.Disabled = true
			st.Sessions().DeleteUser(ctx, name)
		case "enable":
			u.Disabled = false
		}
		if err := users.Update(ctx, u); err != nil {
			return err
		}
		record(store.DefaultTenant, "user."+sub, nil)
		return nil
	case "list":
		all, err := users.List(ctx)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		for _, u := range all {
			bs, _ := users.Bindings(ctx, u.Name)
			enc.Encode(struct {
				store.User
				TOTP  bool                `json:"totp"`
				Roles []store.RoleBinding `json:"roles"`
			}{u, u.TOTPEnabled(), bs})
		}
		return nil
	}
	return usageError("unknown user subcommand %q", sub)
}

// passwordFor reads a password from in, or generates one. A read password
// must meet the policy; a generated one always does.
func passwordFor(user string, fromStdin bool, in io.Reader) (string, bool, error) {
	if fromStdin {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && line == "" {
			return "", false, fmt.Errorf("reading the password from standard input: %w", err)
		}
		pw := strings.TrimRight(line, "\r\n")
		return pw, false, auth.DefaultPasswordPolicy.Check(user, pw)
	}
	codes, err := auth.NewRecoveryCodes(2)
	if err != nil {
		return "", false, err
	}
	return strings.ToUpper(codes[0][:1]) + codes[0][1:] + "-" + codes[1] + "-7", true, nil
}
