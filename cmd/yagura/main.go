// Command yagura is the Yagura SOC platform: one binary for the server, the
// offline scanner and the administration commands. Each subcommand lives in
// its own file; this file only dispatches.
package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"syscall"
)

// command is one subcommand: run gets the arguments after its name.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands is the subcommand table. Add one line per subcommand.
func commands() map[string]command {
	return map[string]command{
		"serve":   {"run the server: intake, pipeline, detection, API", runServe},
		"import":  {"import EVTX, JSON lines and log files into a tenant (import [--tenant T] FILE...)", runImport},
		"hunt":    {"run a hunting query over stored events (hunt 'QUERY' --from -24h)", runHunt},
		"ioc":     {"import and export threat intelligence (ioc import --format F FILE, ioc export --format F)", runIOC},
		"rules":   {"check Sigma detection rules (rules check [--json] PATH...)", runRules},
		"scan":    {"scan event files (EVTX, JSON, syslog-family logs) with Sigma rules (scan --rules PATH INPUT...)", runScan},
		"token":   {"manage API tokens (create, list, revoke)", runToken},
		"tenant":  {"manage tenants (create, list)", runTenant},
		"user":    {"manage users (create, passwd, bind, totp, unlock, list)", runUser},
		"audit":   {"verify the audit trail's hash chains", runAudit},
		"verify":  {"verify an evidence bundle's hashes (verify BUNDLE.zip)", runVerify},
		"version": {"print the version", runVersion},
	}
}

// exitError carries a process exit code through the error path.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "yagura: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	if err := cmd.run(ctx, args[1:], stdout, stderr); err != nil {
		if e, ok := err.(exitError); ok {
			return e.code
		}
		fmt.Fprintf(stderr, "yagura %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: yagura COMMAND [flags]\n\ncommands:")
	for _, n := range slices.Sorted(maps.Keys(cmds)) {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'yagura COMMAND -h' for the flags of a command.")
}
