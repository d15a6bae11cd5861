// Command yagura-agent is Yagura's host agent: it collects logs on a
// monitored host (files by glob, the Linux audit log, the systemd journal)
// and ships them to a Yagura server through a disk buffer, so nothing is
// lost while the server is away.
//
//	yagura-agent enroll --server URL --token ENROLLMENT_TOKEN [--state DIR]
//	yagura-agent run [--state DIR]
//
// It is a small static binary (CGO_ENABLED=0) that links no server code;
// everything it does lives in internal/agent.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/yagura-soc/yagura/internal/agent"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "yagura-agent:", err)
		var u usage
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usage is an error in how the command was called.
type usage struct{ msg string }

func (u usage) Error() string { return u.msg }

const help = `usage:
  yagura-agent enroll --server URL --token ENROLLMENT_TOKEN [--state DIR] [--hostname NAME] [--ca-file PEM]
  yagura-agent run [--state DIR]
  yagura-agent version`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usage{help}
	}
	fs := flag.NewFlagSet("yagura-agent "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	state := fs.String("state", agent.DefaultStateDir(), "folder for the identity, read positions and the disk buffer")
	switch args[0] {
	case "enroll":
		server := fs.String("server", "", "the Yagura server's URL, e.g. https://yagura.example:8080")
		token := fs.String("token", "", "an enrollment token ('yagura token create --role enroll')")
		hostname := fs.String("hostname", "", "the name to enroll under (default: this host's name)")
		caFile := fs.String("ca-file", "", "PEM certificate(s) to trust for the server (its self-signed certificate)")
		if err := fs.Parse(args[1:]); err != nil {
			return usage{err.Error()}
		}
		id, err := agent.Enroll(ctx, agent.EnrollOptions{Server: *server, Token: *token, StateDir: *state, Hostname: *hostname, CAFile: *caFile})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "enrolled as agent %s in tenant %s; identity saved in %s\nstart it with: yagura-agent run --state %s\n",
			id.AgentID, id.Tenant, *state, *state)
		return nil
	case "run":
		if err := fs.Parse(args[1:]); err != nil {
			return usage{err.Error()}
		}
		log := slog.New(slog.NewTextHandler(stderr, nil))
		a, err := agent.Open(*state, log)
		if err != nil {
			return err
		}
		return a.Run(ctx)
	case "version":
		fmt.Fprintln(stdout, "yagura-agent", agent.Version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, help)
		return nil
	}
	return usage{fmt.Sprintf("unknown command %q\n%s", args[0], help)}
}
