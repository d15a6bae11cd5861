package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/yagura-soc/yagura/internal/config"
	"github.com/yagura-soc/yagura/internal/store/duckdb"
	"github.com/yagura-soc/yagura/internal/store/sqlite"
)

// dataFlags are the flags every command that touches stored data takes.
type dataFlags struct {
	config string
	data   string
}

func (d *dataFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.config, "config", "", "configuration file (YAML)")
	fs.StringVar(&d.data, "data", "", "data folder (default ./data, or the config's data)")
}

// load reads the configuration and applies the flags over it.
func (d *dataFlags) load() (config.Config, error) {
	cfg, err := config.Load(d.config, os.Getenv)
	if err != nil {
		return cfg, err
	}
	if d.data != "" {
		cfg.Data = d.data
	}
	return cfg, nil
}

// openState opens the state store of the configured data folder. SQLite
// allows this while a server runs, so admin commands work either way.
func (d *dataFlags) openState(ctx context.Context) (*sqlite.Store, error) {
	cfg, err := d.load()
	if err != nil {
		return nil, err
	}
	return sqlite.Open(ctx, cfg.StatePath())
}

// openEvents opens the event store of the configured data folder. It has
// one owner: when a server holds it, the error says so and suggests
// instead (what to do through the server).
func (d *dataFlags) openEvents(ctx context.Context, instead string) (*duckdb.Store, error) {
	cfg, err := d.load()
	if err != nil {
		return nil, err
	}
	es, err := duckdb.OpenWith(ctx, cfg.EventsPath(), duckdb.Options{MemoryLimit: cfg.Events.MemoryLimit})
	if err != nil {
		return nil, fmt.Errorf("%w (is a server running on this data folder? %s)", err, instead)
	}
	return es, nil
}

// newFlagSet makes a flag set that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("yagura "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args; -h is not an error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitError{0}
		}
		return exitError{2}
	}
	return nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func usageError(format string, a ...any) error {
	return fmt.Errorf("%s (run with -h for usage)", fmt.Sprintf(format, a...))
}
