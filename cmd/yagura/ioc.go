package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/yagura-soc/yagura/internal/intel"
	"github.com/yagura-soc/yagura/internal/intel/export"
	"github.com/yagura-soc/yagura/internal/intel/feed"
	"github.com/yagura-soc/yagura/internal/intel/feed/misp"
	intelsvc "github.com/yagura-soc/yagura/internal/intel/service"
	"github.com/yagura-soc/yagura/internal/store"
)

// runIOC is 'yagura ioc import' and 'yagura ioc export'.
func runIOC(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("ioc needs a subcommand: import or export")
	}
	fs := newFlagSet("ioc "+args[0], stderr)
	var d dataFlags
	d.register(fs)
	tenant := fs.String("tenant", store.DefaultTenant, "tenant that owns the indicators")
	format := fs.String("format", "", "import: stix, taxii, misp, csv or text; export: "+fmt.Sprint(export.Names()))
	source := fs.String("source", "", "import: source name kept on every indicator (default: the file name)")
	confidence := fs.Int("confidence", 0, "import: confidence for entries without one, 1-100 (default 50)")
	toBlock := fs.Bool("to-block", false, "import: mark the indicators for blocking devices")
	ttl := fs.Duration("ttl", 0, "import: expiry after last seen, e.g. 720h (default: never)")
	tlp := fs.String("tlp", "", "import: TLP for entries without one")
	mapping := fs.String("mapping", "", "import csv: layout (urlhaus, feodo, threatfox, generic) or value=COL,type=COL,...")
	typ := fs.String("type", "", "import text: type of every line (default: guessed)")
	minConf := fs.Int("min-confidence", 50, "export: confidence threshold")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	st, err := d.openState(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Tenants().Get(ctx, *tenant); err != nil {
		return fmt.Errorf("tenant %q: %w (create it with 'yagura tenant create')", *tenant, err)
	}
	// The event store belongs to the server process, so the shell does
	// not retro-hunt; the server hunts what it imports itself.
	svc := intelsvc.New(st, nil, intelsvc.Config{RetroHuntWindow: -1})
	switch args[0] {
	case "import":
		if fs.NArg() != 1 || *format == "" {
			return usageError("ioc import takes --format and one FILE (- for standard input; a folder for a MISP feed)")
		}
		o := intelsvc.ImportOptions{Format: *format, Mapping: *mapping,
			Feed: feed.Options{Source: *source, Confidence: *confidence, ToBlock: *toBlock, TTL: *ttl, TLP: *tlp}}
		if *typ != "" {
			if o.Type, err = intel.ParseType(*typ); err != nil {
				return err
			}
		}
		path := fs.Arg(0)
		if o.Feed.Source == "" {
			o.Feed.Source = filepath.Base(path)
		}
		res, err := importPath(ctx, svc, *tenant, path, o)
		if err != nil {
			return err
		}
		st.Scope(*tenant).Audit().Append(ctx, store.AuditRecord{Actor: "shell:" + os.Getenv("USER"), Role: "shell",
			Action: "intel.import", Details: map[string]any{"format": o.Format, "source": o.Feed.Source, "file": path,
				"imported": res.Imported, "created": res.Created, "updated": res.Updated, "rejected": len(res.Rejected)}})
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	case "export":
		if fs.NArg() != 0 || *format == "" {
			return usageError("ioc export takes --format (%v) and no arguments", export.Names())
		}
		p := intel.Policy{MinConfidence: *minConf, Warn: intel.DefaultWarningLists()}
		body, _, err := svc.Export(ctx, *tenant, *format, p)
		if err != nil {
			return err
		}
		st.Scope(*tenant).Audit().Append(ctx, store.AuditRecord{Actor: "shell:" + os.Getenv("USER"), Role: "shell",
			Action: "intel.export", Object: "export/" + *format, Details: map[string]any{"min_confidence": *minConf}})
		_, err = body.WriteTo(stdout)
		return err
	}
	return usageError("unknown ioc subcommand %q (import, export)", args[0])
}

func importPath(ctx context.Context, svc *intelsvc.Service, tenant, path string, o intelsvc.ImportOptions) (intelsvc.ImportResult, error) {
	if path == "-" {
		return svc.Import(ctx, tenant, os.Stdin, o)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return intelsvc.ImportResult{}, err
	}
	if fi.IsDir() {
		if o.Format != misp.Format {
			return intelsvc.ImportResult{}, fmt.Errorf("%s is a folder; only --format misp reads a folder (a MISP feed with manifest.json)", path)
		}
		o.Feed.Now = time.Now().UTC()
		res, err := misp.ReadFeed(os.DirFS(path), ".", o.Feed)
		if err != nil {
			return intelsvc.ImportResult{}, err
		}
		return svc.Store(ctx, tenant, res)
	}
	f, err := os.Open(path)
	if err != nil {
		return intelsvc.ImportResult{}, err
	}
	defer f.Close()
	return svc.Import(ctx, tenant, f, o)
}
